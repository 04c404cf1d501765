"""The GRPO objective for one (micro-)batch, assembled from the registered pieces.

loss = aggregate( w * policy_loss(r, A; eps_low, eps_high) + beta * KL(pi_theta || pi_ref) )
over completion tokens, where r = pi_theta / pi_old, w the truncated importance weight
pi_old / mu (1 for fresh rollouts) and A the group-relative advantage. Returned as a
`LossSum` so gradient accumulation stays exact, with metric sums beside it.

Departure from the paper: the paper gives the method (asynchronous GRPO, no std
normalisation, no KL) but not the form of its importance correction; we use truncated
importance weights on top of the clipped objective (see `importance.py`).
"""
from __future__ import annotations

import dataclasses
from typing import Optional

import jax.numpy as jnp

from rl.grpo.aggregation import LOSS_AGGREGATIONS, LossSum
from rl.grpo.importance import truncated_importance_weights
from rl.grpo.kl import KL_ESTIMATORS
from rl.grpo.policy_losses import POLICY_LOSSES


@dataclasses.dataclass(frozen=True)
class ObjectiveSettings:
    """The static knobs of the objective (names as in the `grpo` config section)."""

    policy_loss: str = "clipped_surrogate"
    loss_aggregation: str = "token_mean"
    epsilon_low: float = 0.2
    epsilon_high: float = 0.28
    kl_beta: float = 0.0
    kl_estimator: str = "k3"
    importance_weight_cap: float = 2.0

    def validate(self) -> "ObjectiveSettings":
        POLICY_LOSSES.get(self.policy_loss)
        LOSS_AGGREGATIONS.get(self.loss_aggregation)
        KL_ESTIMATORS.get(self.kl_estimator)
        if self.epsilon_low < 0 or self.epsilon_high < 0:
            raise ValueError(f"grpo epsilons must be >= 0, got {self.epsilon_low} / {self.epsilon_high}")
        if self.kl_beta < 0:
            raise ValueError(f"grpo.kl_beta must be >= 0, got {self.kl_beta}")
        if self.importance_weight_cap < 1:
            raise ValueError(f"grpo.importance_weight_cap must be >= 1, got {self.importance_weight_cap}")
        return self


def grpo_objective(
    settings: ObjectiveSettings,
    log_probs: jnp.ndarray,
    old_log_probs: jnp.ndarray,
    behaviour_log_probs: jnp.ndarray,
    advantages: jnp.ndarray,
    completion_mask: jnp.ndarray,
    reference_log_probs: Optional[jnp.ndarray] = None,
) -> tuple[LossSum, dict[str, jnp.ndarray]]:
    """Per-token arrays are `[B, L]`, advantages `[B]`; returns the loss and metric sums.

    Metric sums are over live completion tokens; divide by `metrics["tokens"]` for means.
    """
    mask = completion_mask.astype(jnp.float32)
    log_probs = log_probs.astype(jnp.float32)
    terms = POLICY_LOSSES.get(settings.policy_loss)(
        log_probs, old_log_probs, advantages, settings.epsilon_low, settings.epsilon_high
    )
    weights = truncated_importance_weights(old_log_probs, behaviour_log_probs, settings.importance_weight_cap)
    per_token = weights * terms.per_token_loss
    metrics = {
        "tokens": jnp.sum(mask),
        "clip_fraction": jnp.sum(terms.clipped * mask),
        "ratio": jnp.sum(terms.ratio * mask),
        "importance_weight": jnp.sum(weights * mask),
        "importance_weight_truncated": jnp.sum((weights >= settings.importance_weight_cap) * mask),
        "behaviour_log_prob_gap": jnp.sum(jnp.abs(old_log_probs - behaviour_log_probs) * mask),
    }
    if settings.kl_beta > 0:
        if reference_log_probs is None:
            raise ValueError("grpo.kl_beta > 0 needs reference log-probs (a frozen reference policy)")
        kl = KL_ESTIMATORS.get(settings.kl_estimator)(log_probs, reference_log_probs)
        per_token = per_token + settings.kl_beta * kl
        metrics["kl"] = jnp.sum(kl * mask)
    loss = LOSS_AGGREGATIONS.get(settings.loss_aggregation)(per_token, mask)
    return loss, metrics
