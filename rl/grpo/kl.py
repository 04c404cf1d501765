"""Per-token estimators of KL(pi_theta || pi_ref) from sampled tokens (registry
`KL_ESTIMATORS`), after Schulman's "Approximating KL divergence" note.

The paper uses no KL term (beta = 0); these exist for the optional penalty beta * KL.
`k1` is unbiased but can be negative, `k2` is low-variance and biased, `k3` is unbiased,
non-negative and low-variance (the estimator GRPO uses).
"""
from __future__ import annotations

import jax.numpy as jnp

from configs.registry import Registry

KL_ESTIMATORS: Registry = Registry("KL estimator")


@KL_ESTIMATORS.register("k1")
def kl_k1(log_probs: jnp.ndarray, reference_log_probs: jnp.ndarray) -> jnp.ndarray:
    return log_probs - reference_log_probs


@KL_ESTIMATORS.register("k2")
def kl_k2(log_probs: jnp.ndarray, reference_log_probs: jnp.ndarray) -> jnp.ndarray:
    return 0.5 * jnp.square(log_probs - reference_log_probs)


@KL_ESTIMATORS.register("k3")
def kl_k3(log_probs: jnp.ndarray, reference_log_probs: jnp.ndarray) -> jnp.ndarray:
    log_ratio = reference_log_probs - log_probs
    return jnp.exp(log_ratio) - log_ratio - 1.0
