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
from rl.models.matmul import dense


def logits(graphdef: nnx.GraphDef, state: nnx.State, tokens: jax.Array,
           positions: Optional[jax.Array] = None, key_mask: Optional[jax.Array] = None) -> jax.Array:
    """float32 logits [batch, time, vocab] of a causal forward pass over tokens [batch, time]."""
    return nnx.merge(graphdef, state)(tokens, positions, key_mask)


# Time steps per chunk of the log-prob head: [batch, chunk, vocab] float32 logits exist one
# chunk at a time, and the backward pass recomputes them per chunk (for the 0.5B model, 8
# sequences of 191 targets: 0.3 GB per chunk instead of 0.9 GB per full copy).
LOG_PROB_TIME_CHUNK = 64


def token_log_probs(graphdef: nnx.GraphDef, state: nnx.State, tokens: jax.Array,
                    temperature: float = 1.0, key_mask: Optional[jax.Array] = None,
                    time_chunk: int = LOG_PROB_TIME_CHUNK) -> jax.Array:
    """log p(tokens[:, i+1] | tokens[:, :i+1]) under softmax(logits / temperature): [batch, time - 1].

    Matches the sampler's per-token log-probs (temperature-scaled full softmax) so GRPO's
    importance ratios are exact. Entries for padding targets are whatever the model says;
    mask them with the caller's completion mask. The full logits are never materialised:
    see `chunked_log_softmax_at`.
    """
    model = nnx.merge(graphdef, state)
    hidden = model.hidden_states(tokens[:, :-1], key_mask=None if key_mask is None else key_mask[:, :-1])
    return chunked_log_softmax_at(hidden, model.output_head(), tokens[:, 1:], temperature,
                                  jnp.dtype(model.config.dtype), time_chunk)


def chunked_log_softmax_at(hidden: jax.Array, head: jax.Array, targets: jax.Array, temperature: float,
                           compute_dtype, time_chunk: int = LOG_PROB_TIME_CHUNK) -> jax.Array:
    """log_softmax(hidden @ head / temperature) at `targets`, [batch, time], computed in time
    chunks under `jax.checkpoint` inside a scan, so forward and backward hold one chunk's
    float32 logits at a time. The batch axis is untouched (it keeps its data sharding)."""
    batch, time, width = hidden.shape
    chunk = max(1, min(time_chunk, time))
    chunks = -(-time // chunk)
    pad = chunks * chunk - time
    hidden = jnp.pad(hidden, ((0, 0), (0, pad), (0, 0)))
    targets = jnp.pad(targets, ((0, 0), (0, pad)))
    hidden = jnp.moveaxis(hidden.reshape(batch, chunks, chunk, width), 1, 0)
    targets = jnp.moveaxis(targets.reshape(batch, chunks, chunk), 1, 0)
    temperature = jnp.asarray(temperature, jnp.float32)
    head = head.astype(compute_dtype)   # once, not per chunk

    @jax.checkpoint
    def one_chunk(chunk_hidden, chunk_targets):
        scaled = dense(chunk_hidden, head, "btd,dv->btv", compute_dtype) / temperature
        picked = jnp.take_along_axis(scaled, chunk_targets[..., None], axis=-1)[..., 0]
        return picked - jax.nn.logsumexp(scaled, axis=-1)

    _, out = jax.lax.scan(lambda carry, xs: (carry, one_chunk(*xs)), None, (hidden, targets))
    return jnp.moveaxis(out, 0, 1).reshape(batch, chunks * chunk)[:, :time]


def prefill(graphdef: nnx.GraphDef, state: nnx.State, tokens: jax.Array, lengths: jax.Array,
            capacity: int) -> tuple[jax.Array, KVCache]:
    """Right-padded prompts [b, t] with lengths [b] -> (last-token logits [b, vocab], KVCache)."""
    return nnx.merge(graphdef, state).prefill(tokens, lengths, capacity)


def decode_logits(graphdef: nnx.GraphDef, state: nnx.State, tokens: jax.Array, positions: jax.Array,
                  cache: KVCache) -> tuple[jax.Array, KVCache]:
    """One decode step over all slots: tokens [b] at positions [b] -> (logits [b, vocab], cache)."""
    step_logits, cache = nnx.merge(graphdef, state).extend(tokens[:, None], positions[:, None], cache)
    return step_logits[:, 0], cache
