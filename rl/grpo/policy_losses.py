"""Per-token policy losses (registry `POLICY_LOSSES`).

Each takes per-token log-probs under the current policy, the old (proximal) policy's
log-probs and per-sequence advantages, and returns the per-token loss `[B, L]` (to be
minimised) and the per-token indicator of where clipping removed the gradient.

`clipped_surrogate` is PPO's clipped objective with separate lower and upper epsilons
(DAPO's clip-higher: ratio clipped to [1 - eps_low, 1 + eps_high]).
"""
from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp

from configs.registry import Registry

POLICY_LOSSES: Registry = Registry("policy loss")


class PolicyLossTerms(NamedTuple):
    per_token_loss: jnp.ndarray   # [B, L]
    clipped: jnp.ndarray          # [B, L] float, 1 where the clipped branch was taken
    ratio: jnp.ndarray            # [B, L] pi_theta / pi_old


@POLICY_LOSSES.register("clipped_surrogate")
def clipped_surrogate_loss(
    log_probs: jnp.ndarray,
    old_log_probs: jnp.ndarray,
    advantages: jnp.ndarray,
    epsilon_low: float,
    epsilon_high: float,
) -> PolicyLossTerms:
    """-min(r A, clip(r, 1 - eps_low, 1 + eps_high) A), r = exp(log_probs - old_log_probs)."""
    ratio = jnp.exp(log_probs - old_log_probs)
    advantage = advantages[:, None]
    unclipped = ratio * advantage
    clipped_ratio = jnp.clip(ratio, 1.0 - epsilon_low, 1.0 + epsilon_high)
    clipped = clipped_ratio * advantage
    # The clipped branch wins (and carries no gradient) exactly where it is strictly smaller.
    clipped_taken = (clipped < unclipped).astype(jnp.float32)
    return PolicyLossTerms(-jnp.minimum(unclipped, clipped), clipped_taken, ratio)


@POLICY_LOSSES.register("unclipped_surrogate")
def unclipped_surrogate_loss(
    log_probs: jnp.ndarray,
    old_log_probs: jnp.ndarray,
    advantages: jnp.ndarray,
    epsilon_low: float,
    epsilon_high: float,
) -> PolicyLossTerms:
    """-r A with no trust region: the plain policy gradient at r = 1 (epsilons ignored)."""
    del epsilon_low, epsilon_high
    ratio = jnp.exp(log_probs - old_log_probs)
    return PolicyLossTerms(-ratio * advantages[:, None], jnp.zeros_like(ratio), ratio)
