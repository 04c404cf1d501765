"""The train batch built from a rollout: its length follows the longest row in buckets,
rows are packed prompt-then-completion with masks in the right places, and a row longer
than the length is an error."""
import numpy as np
import pytest

from rl.rollout import Rollout, bucketed_length, train_arrays


def _rollout(prompts, completions):
    return Rollout(step=0, policy_version=0, group_size=1, problems=(None,) * len(prompts), prompt_tokens=prompts,
                   completion_tokens=completions,
                   behaviour_log_probs=[[-0.5] * len(c) for c in completions],
                   finish_reasons=["stop"] * len(prompts), texts=[""] * len(prompts),
                   rewards=np.ones(len(prompts), np.float32))


def test_length_is_the_longest_row_rounded_up_to_the_bucket_and_capped():
    rollout = _rollout([[1] * 70, [2] * 10], [[3] * 60, [4] * 5])        # longest row: 130 tokens
    assert bucketed_length(rollout, maximum=704, bucket=128) == 256
    assert bucketed_length(rollout, maximum=200, bucket=128) == 200
    assert bucketed_length(rollout, maximum=704, bucket=0) == 704
    assert bucketed_length(_rollout([[1] * 100], [[2] * 28]), maximum=704, bucket=128) == 128


def test_rows_are_packed_with_masks_on_the_completion():
    rollout = _rollout([[5, 6, 7], [8]], [[9, 10], [11, 12, 13]])
    arrays = train_arrays(rollout, bucketed_length(rollout, maximum=64, bucket=8), pad_id=0)
    assert arrays["tokens"].shape == (2, 8) and arrays["completion_mask"].shape == (2, 7)
    np.testing.assert_array_equal(arrays["tokens"][0], [5, 6, 7, 9, 10, 0, 0, 0])
    np.testing.assert_array_equal(arrays["key_mask"][1], [1, 1, 1, 1, 0, 0, 0, 0])
    # position t predicts token t + 1: the completion of row 0 is predicted from positions 2 and 3
    np.testing.assert_array_equal(arrays["completion_mask"][0], [0, 0, 1, 1, 0, 0, 0])
    np.testing.assert_array_equal(arrays["behaviour_log_probs"][1], [-0.5, -0.5, -0.5, 0, 0, 0, 0])
    with pytest.raises(ValueError, match="more than the sequence length"):
        train_arrays(rollout, 4, pad_id=0)
