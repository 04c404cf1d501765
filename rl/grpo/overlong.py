"""Overlong handling (DAPO): a completion cut off at the length limit gets a reward that
says nothing about its answer, so overlong filtering drops it from the loss (its tokens
are masked) instead of punishing a possibly good line of reasoning.

`overlong_soft_penalty` is DAPO's alternative length-aware punishment, kept as an option.
"""
from __future__ import annotations

import jax.numpy as jnp


def filter_overlong(completion_mask: jnp.ndarray, truncated: jnp.ndarray) -> jnp.ndarray:
    """The completion mask `[B, L]` with the rows of truncated completions zeroed."""
    keep = 1.0 - truncated.astype(completion_mask.dtype)
    return completion_mask * keep[:, None]


def overlong_soft_penalty(
    completion_lengths: jnp.ndarray, max_length: int, buffer_length: int, penalty: float = 1.0
) -> jnp.ndarray:
    """DAPO eq. 13: 0 up to max - buffer, then linearly down to -penalty at max, -penalty beyond."""
    start = max_length - buffer_length
    excess = (completion_lengths.astype(jnp.float32) - start) / max(buffer_length, 1)
    return -penalty * jnp.clip(excess, 0.0, 1.0)
