"""Dynamic sampling, overlong filtering and the format penalty."""
import numpy as np
import pytest

from rl.grpo.dynamic_sampling import informative_groups, select_groups
from rl.grpo.format_penalty import apply_format_penalty
from rl.grpo.groups import as_groups
from rl.grpo.overlong import filter_overlong, overlong_soft_penalty


def test_informative_groups_drops_all_equal():
    rewards = np.array([1, 1, 1, 0, 0, 0, 0, 1, 0.5, 0.5])
    np.testing.assert_array_equal(informative_groups(as_groups(rewards[:8], 2)), [False, True, False, True])
    with pytest.raises(ValueError, match="G=3"):
        informative_groups(as_groups(rewards, 3))


class _RolloutDouble:
    """A test double of a graded rollout: only its rewards (groups of G=2 contiguous)."""

    def __init__(self, rewards, group_size=2):
        self.rewards = np.asarray(rewards, dtype=np.float64)
        self.group_size = group_size

    def grouped_rewards(self):
        return as_groups(self.rewards, self.group_size)


def test_select_groups_refills_until_enough_groups_are_informative():
    draws = [_RolloutDouble([0, 0, 1, 0]), _RolloutDouble([1, 1, 0, 1])]
    asked = []

    def refill(index, missing):
        asked.append((index, missing))
        return draws[index - 1]

    selection = select_groups(_RolloutDouble([1, 1, 0, 1, 0, 0]), refill, prompts_per_batch=3,
                              max_refills=5)
    assert asked == [(1, 2), (2, 1)] and selection.refills == 2 and len(selection.parts) == 3
    np.testing.assert_array_equal(selection.informative, [False, True, False, False, True, False, True])
    assert selection.chosen_groups == (1, 4, 6)


def test_select_groups_stops_at_the_refill_limit_and_fills_with_uninformative_groups():
    selection = select_groups(_RolloutDouble([1, 1, 0, 1]), lambda index, missing: _RolloutDouble([0, 0, 1, 1]),
                              prompts_per_batch=3, max_refills=1)
    assert selection.refills == 1
    assert selection.chosen_groups == (1, 0, 2)   # the informative group, then the others in draw order


def test_select_groups_draws_nothing_when_dynamic_sampling_is_off():
    def refill(index, missing):
        raise AssertionError("no refill when disabled")

    selection = select_groups(_RolloutDouble([1, 1, 0, 0]), refill, prompts_per_batch=2,
                              max_refills=3, enabled=False)
    assert selection.refills == 0 and selection.chosen_groups == (0, 1)


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
