"""Truncated importance weights for stale (asynchronous) rollouts.

With asynchronous GRPO a rollout may come from a behaviour policy mu up to k updates
older than the proximal policy pi_old the clipped objective is taken against. Each
token's loss is then weighted by w = min(pi_old / mu, C), held constant (no gradient):
truncated importance sampling (Ionides 2008; as used for rollout/trainer mismatch by
Yao et al. 2025, "Your efficient RL framework secretly brings you off-policy RL
training", with C = 2). The paper says only that its asynchronous variant corrects with
the behaviour log-probs; the truncation cap C is our choice from that practice. k = 0
with an exact sampler gives w = 1.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp


def truncated_importance_weights(
    old_log_probs: jnp.ndarray, behaviour_log_probs: jnp.ndarray, cap: float
) -> jnp.ndarray:
    """min(exp(old - behaviour), cap), with the gradient stopped."""
    weights = jnp.minimum(jnp.exp(old_log_probs - behaviour_log_probs), cap)
    return jax.lax.stop_gradient(weights)
