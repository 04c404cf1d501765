"""Pure functions over a split model (`graphdef, state = nnx.split(model)`), for jit:
full-sequence logits and token log-probs (training), prefill and cached decode (sampling).

All take the graphdef (static) and the state pytree; none mutate anything.
"""
from __future__ import annotations

from typing import Optional

import jax
import jax.numpy as jnp
from flax import nnx

from rl.models.kv_cache import KVCache


def logits(graphdef: nnx.GraphDef, state: nnx.State, tokens: jax.Array,
           positions: Optional[jax.Array] = None, key_mask: Optional[jax.Array] = None) -> jax.Array:
    """float32 logits [batch, time, vocab] of a causal forward pass over tokens [batch, time]."""
    return nnx.merge(graphdef, state)(tokens, positions, key_mask)


def token_log_probs(graphdef: nnx.GraphDef, state: nnx.State, tokens: jax.Array,
                    temperature: float = 1.0, key_mask: Optional[jax.Array] = None) -> jax.Array:
    """log p(tokens[:, i+1] | tokens[:, :i+1]) under softmax(logits / temperature): [batch, time - 1].

    Matches the sampler's per-token log-probs (temperature-scaled full softmax) so GRPO's
    importance ratios are exact. Entries for padding targets are whatever the model says;
    mask them with the caller's completion mask.
    """
    all_logits = logits(graphdef, state, tokens[:, :-1], key_mask=None if key_mask is None else key_mask[:, :-1])
    scaled = all_logits / jnp.asarray(temperature, jnp.float32)
    log_norm = jax.nn.logsumexp(scaled, axis=-1)
    picked = jnp.take_along_axis(scaled, tokens[:, 1:, None], axis=-1)[..., 0]
    return picked - log_norm


def prefill(graphdef: nnx.GraphDef, state: nnx.State, tokens: jax.Array, lengths: jax.Array,
            capacity: int) -> tuple[jax.Array, KVCache]:
    """Right-padded prompts [b, t] with lengths [b] -> (last-token logits [b, vocab], KVCache)."""
    return nnx.merge(graphdef, state).prefill(tokens, lengths, capacity)


def decode_logits(graphdef: nnx.GraphDef, state: nnx.State, tokens: jax.Array, positions: jax.Array,
                  cache: KVCache) -> tuple[jax.Array, KVCache]:
    """One decode step over all slots: tokens [b] at positions [b] -> (logits [b, vocab], cache)."""
    step_logits, cache = nnx.merge(graphdef, state).extend(tokens[:, None], positions[:, None], cache)
    return step_logits[:, 0], cache
