"""Choosing the next token from logits, per row: greedy (temperature 0), or sampling from
softmax(logits / temperature) truncated by top-k and top-p, by inverting the row's
cumulative distribution at one uniform draw. One random number per row and one pass of
exp over the vocabulary: Gumbel-max drew a Gumbel variate per vocabulary entry, and on CPU
those 151,936 draws per row cost several times the model's forward step
(docs/BENCHMARKS.md, "Token selection").

The returned log-prob is of the chosen token under the temperature-scaled FULL softmax,
before top-k/top-p truncation (docs/design.md, "Models and inference"), so that it equals what the
trainer's forward pass computes. For greedy rows the scale is 1 (plain softmax).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

_NEG_INF = -1e30


def check_sampling_values(temperature: float, top_p: float, top_k: int) -> None:
    """The ranges every form of the sampling settings keeps (the request-level
    `rl.generation.sampling.Sampling`, JetStream's per-sample metadata and the rows here)."""
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0 (0 is greedy), got {temperature}")
    if not 0.0 < top_p <= 1.0:
        raise ValueError(f"top_p must be in (0, 1], got {top_p}")
    if top_k < 0:
        raise ValueError(f"top_k must be >= 0 (0 disables it), got {top_k}")


@struct.dataclass
class SamplingSettings:
    """Per-row sampling parameters (arrays [batch]), so one compiled step serves mixed
    requests: the device-side form of the request-level `rl.generation.sampling.Sampling`."""

    temperature: jax.Array  # float32; 0 means greedy
    top_p: jax.Array        # float32 in (0, 1]; 1 disables
    top_k: jax.Array        # int32; 0 disables

    @classmethod
    def uniform(cls, batch_size: int, temperature: float = 0.0, top_p: float = 1.0, top_k: int = 0):
        check_sampling_values(temperature, top_p, top_k)
        return cls(
            temperature=jnp.full((batch_size,), temperature, jnp.float32),
            top_p=jnp.full((batch_size,), top_p, jnp.float32),
            top_k=jnp.full((batch_size,), top_k, jnp.int32),
        )


def _truncate(scaled: jax.Array, top_p: jax.Array, top_k: jax.Array) -> jax.Array:
    """Set logits outside each row's top-k and top-p nucleus to -inf (keeps ties at the edge)."""
    vocab = scaled.shape[-1]
    ordered = jnp.sort(scaled, axis=-1)[:, ::-1]
    probs = jax.nn.softmax(ordered, axis=-1)
    mass_before = jnp.cumsum(probs, axis=-1) - probs
    rank = jnp.arange(vocab)[None, :]
    keep = mass_before < top_p[:, None]
    keep &= (top_k[:, None] <= 0) | (rank < top_k[:, None])
    keep = keep.at[:, 0].set(True)
    threshold = jnp.min(jnp.where(keep, ordered, jnp.inf), axis=-1, keepdims=True)
    return jnp.where(scaled >= threshold, scaled, _NEG_INF)


_BLOCK = 1024


def _invert_cdf(weights: jax.Array, draws: jax.Array) -> jax.Array:
    """The index i of each row with cdf[i-1] <= u * total < cdf[i] (u = draws, in [0, 1)), or -1
    where rounding leaves none. Two levels (blocks of _BLOCK entries, then inside the chosen
    block), so the cumulative sums run over a few hundred entries instead of the vocabulary."""
    batch, vocab = weights.shape
    blocks = -(-vocab // _BLOCK)
    padded = jnp.pad(weights, ((0, 0), (0, blocks * _BLOCK - vocab))).reshape(batch, blocks, _BLOCK)
    block_cumulative = jnp.cumsum(jnp.sum(padded, axis=-1), axis=-1)               # [b, blocks]
    target = draws * block_cumulative[:, -1]
    block_above = block_cumulative > target[:, None]
    block = jnp.argmax(block_above, axis=-1)
    before = jnp.where(block > 0, jnp.take_along_axis(block_cumulative, jnp.maximum(block - 1, 0)[:, None],
                                                      axis=-1)[:, 0], 0.0)
    inside = jnp.cumsum(jnp.take_along_axis(padded, block[:, None, None], axis=1)[:, 0], axis=-1)  # [b, _BLOCK]
    above = inside > (target - before)[:, None]
    found = jnp.any(block_above, axis=-1) & jnp.any(above, axis=-1)
    return jnp.where(found, block * _BLOCK + jnp.argmax(above, axis=-1), -1).astype(jnp.int32)


def select_tokens(logits: jax.Array, settings: SamplingSettings, keys: jax.Array) -> tuple[jax.Array, jax.Array]:
    """logits [b, vocab] float32, per-row keys [b] -> (tokens [b] int32, log-probs [b] float32)."""
    greedy = settings.temperature <= 0.0
    scale = jnp.where(greedy, 1.0, settings.temperature)[:, None]
    scaled = logits.astype(jnp.float32) / scale
    greedy_tokens = jnp.argmax(logits, axis=-1).astype(jnp.int32)

    def sample(_):
        needs_truncation = jnp.any(~greedy & ((settings.top_p < 1.0) | (settings.top_k > 0)))
        candidates = jax.lax.cond(
            needs_truncation, lambda s: _truncate(s, settings.top_p, settings.top_k), lambda s: s, scaled
        )
        weights = jnp.exp(candidates - jnp.max(candidates, axis=-1, keepdims=True))   # excluded entries: 0
        draws = jax.vmap(lambda k: jax.random.uniform(k, (), jnp.float32))(keys)
        sampled = _invert_cdf(weights, draws)
        # float rounding can leave no entry above the draw; the row's most likely token stands in
        sampled = jnp.where(sampled < 0, greedy_tokens, sampled)
        return jnp.where(greedy, greedy_tokens, sampled)

    tokens = jax.lax.cond(jnp.all(greedy), lambda _: greedy_tokens, sample, None)
    chosen = jnp.take_along_axis(jax.nn.log_softmax(scaled, axis=-1), tokens[:, None], axis=-1)[:, 0]
    return tokens, chosen
