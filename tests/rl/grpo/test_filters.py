"""Dynamic sampling, overlong filtering and the format penalty."""
import numpy as np
import pytest

from rl.grpo.dynamic_sampling import GroupBatchFiller, informative_groups
from rl.grpo.format_penalty import apply_format_penalty
from rl.grpo.overlong import filter_overlong, overlong_soft_penalty


def test_informative_groups_drops_all_equal():
    rewards = np.array([1, 1, 1, 0, 0, 0, 0, 1, 0.5, 0.5])
    np.testing.assert_array_equal(informative_groups(rewards[:8], 2), [False, True, False, True])
    with pytest.raises(ValueError, match="G=3"):
        informative_groups(rewards, 3)


def test_filler_refills_until_full_and_keeps_surplus():
    filler = GroupBatchFiller(groups_per_batch=2, group_size=2)
    filler.add({"rewards": np.array([1, 1, 0, 1]), "ids": np.array([0, 1, 2, 3])})
    assert not filler.ready and filler.dropped_groups == 1
    with pytest.raises(ValueError, match="1 of 2"):
        filler.take()
    filler.add({"rewards": np.array([0, 0, 1, 0, 0, 1]), "ids": np.array([4, 5, 6, 7, 8, 9])})
    assert filler.ready and filler.dropped_groups == 2
    batch = filler.take()
    np.testing.assert_array_equal(batch["ids"], [2, 3, 6, 7])
    assert not filler.ready
    filler.add({"rewards": np.array([1, 0]), "ids": np.array([10, 11])})
    np.testing.assert_array_equal(filler.take()["ids"], [8, 9, 10, 11])


def test_overlong_filter_masks_truncated_rows():
    mask = np.ones((3, 2))
    np.testing.assert_array_equal(filter_overlong(mask, np.array([False, True, False])), [[1, 1], [0, 0], [1, 1]])


def test_overlong_soft_penalty_is_linear_in_the_buffer():
    lengths = np.array([50, 80, 90, 100, 120])
    np.testing.assert_allclose(overlong_soft_penalty(lengths, max_length=100, buffer_length=20), [0, 0, -0.5, -1, -1])


def test_format_penalty():
    np.testing.assert_allclose(apply_format_penalty(np.array([1, 0, 0]), np.array([1, 1, 0]), 0.1), [1, 0, -0.1])
    with pytest.raises(ValueError, match="format penalty"):
        apply_format_penalty(np.zeros(1), np.ones(1), -1)
