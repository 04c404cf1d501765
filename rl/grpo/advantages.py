"""Group-relative advantage estimators (registry `ADVANTAGE_ESTIMATORS`).

Rewards arrive flat, `[num_groups * G]`, with the G samples of one prompt contiguous.
`group_mean` is the paper's choice (and Dr. GRPO's): A_i = r_i - mean(r_group), no
division by the group's standard deviation. `group_normalised` is the original GRPO
estimator, (r_i - mean) / (std + eps), kept for comparison.
"""
from __future__ import annotations

import jax.numpy as jnp

from configs.registry import Registry

ADVANTAGE_ESTIMATORS: Registry = Registry("advantage estimator")


def _as_groups(rewards: jnp.ndarray, group_size: int) -> jnp.ndarray:
    if rewards.ndim != 1 or rewards.shape[0] % group_size:
        raise ValueError(
            f"rewards of shape {rewards.shape} do not split into groups of G={group_size}; "
            "pass a flat batch whose length is a multiple of the group size"
        )
    return rewards.reshape(-1, group_size)


@ADVANTAGE_ESTIMATORS.register("group_mean")
def group_mean_advantages(rewards: jnp.ndarray, group_size: int) -> jnp.ndarray:
    """Mean-centred rewards within each group (Dr. GRPO; the paper)."""
    grouped = _as_groups(rewards.astype(jnp.float32), group_size)
    return (grouped - grouped.mean(axis=1, keepdims=True)).reshape(-1)


@ADVANTAGE_ESTIMATORS.register("group_normalised")
def group_normalised_advantages(rewards: jnp.ndarray, group_size: int, epsilon: float = 1e-6) -> jnp.ndarray:
    """Mean-centred and divided by the group's (population) standard deviation (GRPO)."""
    grouped = _as_groups(rewards.astype(jnp.float32), group_size)
    centred = grouped - grouped.mean(axis=1, keepdims=True)
    return (centred / (grouped.std(axis=1, keepdims=True) + epsilon)).reshape(-1)
