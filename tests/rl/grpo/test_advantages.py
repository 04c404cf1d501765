"""Group-relative advantages, checked against hand-computed values."""
import numpy as np
import pytest

from rl.grpo.advantages import ADVANTAGE_ESTIMATORS
from rl.grpo.groups import as_groups


def _flat(name, rewards, group_size):
    """The estimator on the [groups, G] view of a flat batch, flattened back."""
    return np.asarray(ADVANTAGE_ESTIMATORS.get(name)(as_groups(rewards, group_size))).reshape(-1)


def test_group_mean_centres_each_group():
    rewards = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0])
    advantages = _flat("group_mean", rewards, 4)
    # group 1 mean 0.5, group 2 mean 0.75
    np.testing.assert_allclose(advantages, [0.5, -0.5, -0.5, 0.5, 0.25, 0.25, -0.75, 0.25], atol=1e-6)
    np.testing.assert_allclose(np.asarray(advantages).reshape(2, 4).sum(axis=1), 0.0, atol=1e-6)


def test_zero_variance_group_has_zero_advantage():
    rewards = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0])
    for name in ADVANTAGE_ESTIMATORS:
        np.testing.assert_allclose(_flat(name, rewards, 3), 0.0, atol=1e-6)


def test_group_normalised_divides_by_group_std():
    rewards = np.array([1.0, 0.0, 0.0, 0.0])
    # mean .25, population std sqrt(3)/4
    std = np.sqrt(3) / 4
    expected = np.array([0.75, -0.25, -0.25, -0.25]) / (std + 1e-6)
    np.testing.assert_allclose(_flat("group_normalised", rewards, 4), expected, rtol=1e-5)


def test_batch_not_divisible_by_group_size_is_refused():
    with pytest.raises(ValueError, match="groups of G=4"):
        _flat("group_mean", np.zeros(6), 4)


def test_unknown_estimator_lists_known_names():
    with pytest.raises(ValueError, match="group_mean"):
        ADVANTAGE_ESTIMATORS.get("gae")
