"""The attention kernel: softmax(q k^T / sqrt(d)) v for grouped-query heads, and the choice
of implementation behind it (`ModelConfig.attention`).

  attend(q, k, v, mask, config) -> [batch, time, heads, head_dim] float32

`q` [b, t, heads, d] and `k`, `v` [b, s, kv_heads, d] arrive in float32 (after the rotary);
`mask` is an `AttentionMask`, which says which keys each query may see in two forms: a
general boolean array (for the einsum kernel) and, where the pattern allows, the same thing
as `is_causal` plus per-row key lengths (what a fused kernel takes).

Implementations:
  "einsum": grouped einsums with inputs in the compute dtype accumulated in float32, the
            masked scores and softmax in float32. The CPU choice: against
            `jax.nn.dot_product_attention`'s XLA path in bf16 it was level for training
            and twice as fast for a decode step at batch 64 (docs/BENCHMARKS.md,
            "Attention kernels").
  "xla":    `jax.nn.dot_product_attention(implementation="xla")` over the causal/length
            form of the mask (the reference that checks that form on CPU).
  "cudnn":  the same call with `implementation="cudnn"`: cuDNN's fused (flash) kernel on
            NVIDIA GPUs, bf16/fp16 only; the [b, h, t, s] scores are never materialised.
  "auto":   "cudnn" on a GPU with a 16-bit compute dtype where the mask has the
            causal/length form, else "einsum".
A mask without the causal/length form (a `with_cache` step of several tokens) always takes
the einsum kernel.
"""
from __future__ import annotations

from typing import Optional

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from rl.models.config import ModelConfig
from rl.models.matmul import dense

_NEG_INF = -1e30


@struct.dataclass
class AttentionMask:
    """Which keys each query sees: `allowed` [b, t, s] bool, and the same as a fused kernel's
    arguments where it has that form: keys [0, key_lengths[row]) of the row, intersected with
    the causal pattern (query i sees keys <= i) when `causal`. `key_lengths` None: no form.
    A pytree (it passes through nnx.remat and scans as an argument)."""
    allowed: jax.Array
    causal: bool = struct.field(pytree_node=False, default=False)
    key_lengths: Optional[jax.Array] = None

    @property
    def fusable(self) -> bool:
        return self.key_lengths is not None

    @classmethod
    def causal_prefix(cls, positions: jax.Array, key_mask: Optional[jax.Array]) -> "AttentionMask":
        """Causal by explicit `positions` [b, t] (a query sees keys at positions <= its own),
        and `key_mask` [b, t] (False keys unseen): the general form only."""
        allowed = positions[:, None, :] <= positions[:, :, None]
        if key_mask is not None:
            allowed = allowed & key_mask[:, None, :]
        return cls(allowed=allowed)

    @classmethod
    def causal_right_padded(cls, batch: int, time: int, key_mask: Optional[jax.Array]) -> "AttentionMask":
        """Positions 0..time-1 in every row; `key_mask` (if given) True on a prefix of each row."""
        positions = jnp.broadcast_to(jnp.arange(time, dtype=jnp.int32), (batch, time))
        mask = cls.causal_prefix(positions, key_mask)
        lengths = (jnp.full((batch,), time, jnp.int32) if key_mask is None
                   else jnp.sum(key_mask, axis=1, dtype=jnp.int32))
        return mask.replace(causal=True, key_lengths=lengths)

    @classmethod
    def cached(cls, positions: jax.Array, capacity: int) -> "AttentionMask":
        """Queries at `positions` [b, t] (contiguous per row) over a cache of `capacity` slots:
        each sees the slots <= its position. One query per row has the length form."""
        slots = jnp.arange(capacity, dtype=positions.dtype)
        allowed = slots[None, None, :] <= positions[:, :, None]
        if positions.shape[1] == 1:
            return cls(allowed=allowed, key_lengths=(positions[:, 0] + 1).astype(jnp.int32))
        return cls(allowed=allowed)


def choose(config: ModelConfig, mask: AttentionMask) -> str:
    """The implementation that runs for `config.attention` and this mask."""
    choice = config.attention     # ModelConfig has checked it (and cudnn's 16-bit dtype)
    if not mask.fusable:
        return "einsum"
    if choice == "auto":
        sixteen_bit = jnp.dtype(config.dtype) in (jnp.dtype(jnp.bfloat16), jnp.dtype(jnp.float16))
        return "cudnn" if sixteen_bit and jax.default_backend() == "gpu" else "einsum"
    return choice


def attend(q: jax.Array, k: jax.Array, v: jax.Array, mask: AttentionMask, config: ModelConfig) -> jax.Array:
    """Attention output [b, t, heads, head_dim] in float32."""
    implementation = choose(config, mask)
    if implementation == "einsum":
        return _einsum_attention(q, k, v, mask.allowed, config)
    dt = jnp.dtype(config.dtype)
    out = jax.nn.dot_product_attention(
        q.astype(dt), k.astype(dt), v.astype(dt), is_causal=mask.causal,
        key_value_seq_lengths=mask.key_lengths, scale=1.0 / np.sqrt(config.head_dim),
        implementation=implementation)
    return out.astype(jnp.float32)


def _einsum_attention(q, keys, values, allowed, config: ModelConfig) -> jax.Array:
    c = config
    dt = jnp.dtype(c.dtype)
    b, t = q.shape[:2]
    groups = c.num_heads // c.num_kv_heads
    q = q.reshape(b, t, c.num_kv_heads, groups, c.head_dim)
    scores = dense(q, keys, "btkgd,bskd->bkgts", dt) * (1.0 / np.sqrt(c.head_dim))
    scores = jnp.where(allowed[:, None, None, :, :], scores, _NEG_INF)
    weights = jax.nn.softmax(scores, axis=-1)
    mixed = dense(weights, values, "bkgts,bskd->btkgd", dt)
    return mixed.reshape(b, t, c.num_heads, c.head_dim)
