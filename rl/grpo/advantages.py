"""Group-relative advantage estimators (registry `ADVANTAGE_ESTIMATORS`).

Each estimator takes the rewards as `[groups, G]` (one row per prompt, its G samples
across; `rl.grpo.groups.as_groups` makes that view of a flat batch) and returns the
advantages in the same shape: G is the array's second axis, never a separate argument.
`group_mean` is the paper's choice (and Dr. GRPO's): A_i = r_i - mean(r_group), no
division by the group's standard deviation. `group_normalised` is the original GRPO
estimator, (r_i - mean) / (std + eps), kept for comparison.
"""
from __future__ import annotations

import jax.numpy as jnp

from configs.registry import Registry

ADVANTAGE_ESTIMATORS: Registry = Registry("advantage estimator")


def _checked(grouped_rewards) -> jnp.ndarray:
    if grouped_rewards.ndim != 2:
        raise ValueError(f"rewards of shape {tuple(grouped_rewards.shape)} are not [groups, G]; "
                         "group a flat batch with rl.grpo.groups.as_groups")
    return grouped_rewards.astype(jnp.float32)


@ADVANTAGE_ESTIMATORS.register("group_mean")
def group_mean_advantages(grouped_rewards: jnp.ndarray) -> jnp.ndarray:
    """Mean-centred rewards within each group (Dr. GRPO; the paper)."""
    grouped = _checked(grouped_rewards)
    return grouped - grouped.mean(axis=1, keepdims=True)


@ADVANTAGE_ESTIMATORS.register("group_normalised")
def group_normalised_advantages(grouped_rewards: jnp.ndarray, epsilon: float = 1e-6) -> jnp.ndarray:
    """Mean-centred and divided by the group's (population) standard deviation (GRPO)."""
    grouped = _checked(grouped_rewards)
    centred = grouped - grouped.mean(axis=1, keepdims=True)
    return centred / (grouped.std(axis=1, keepdims=True) + epsilon)
