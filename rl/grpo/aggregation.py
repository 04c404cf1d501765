"""How per-token losses become one scalar (registry `LOSS_AGGREGATIONS`).

Each returns a `(total, weight)` pair whose ratio is the loss. The weight never depends
on the parameters, so gradient accumulation sums totals and weights over micro-batches
and divides once: the result equals aggregating the whole mini-batch at once.

- `token_mean`: sum over all completion tokens of the batch / number of tokens (DAPO).
- `sequence_mean`: mean over sequences of each sequence's token mean (original GRPO).
- `token_sum_over_max_length`: sum over tokens / (B * L), a constant normaliser
  (Dr. GRPO's fix for the length bias of the two means).
"""
from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp

from configs.registry import Registry

LOSS_AGGREGATIONS: Registry = Registry("loss aggregation")


class LossSum(NamedTuple):
    total: jnp.ndarray
    weight: jnp.ndarray

    def value(self) -> jnp.ndarray:
        return self.total / jnp.maximum(self.weight, 1e-9)


@LOSS_AGGREGATIONS.register("token_mean")
def token_mean(per_token: jnp.ndarray, mask: jnp.ndarray) -> LossSum:
    return LossSum(jnp.sum(per_token * mask), jnp.sum(mask))


@LOSS_AGGREGATIONS.register("sequence_mean")
def sequence_mean(per_token: jnp.ndarray, mask: jnp.ndarray) -> LossSum:
    tokens_per_sequence = jnp.sum(mask, axis=1)
    sequence_means = jnp.sum(per_token * mask, axis=1) / jnp.maximum(tokens_per_sequence, 1.0)
    # Sequences with no live token (filtered out) count for nothing.
    live = (tokens_per_sequence > 0).astype(jnp.float32)
    return LossSum(jnp.sum(sequence_means * live), jnp.sum(live))


@LOSS_AGGREGATIONS.register("token_sum_over_max_length")
def token_sum_over_max_length(per_token: jnp.ndarray, mask: jnp.ndarray) -> LossSum:
    return LossSum(jnp.sum(per_token * mask), jnp.asarray(mask.size, jnp.float32))
