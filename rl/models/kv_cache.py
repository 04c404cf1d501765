"""The KV cache: per-layer keys and values laid out [batch, capacity, kv_heads, head_dim].

Cache slot s of a row holds the key/value of absolute position s, so a row's valid
prefix is positions [0, length) and rows may have different lengths (right padding).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from rl.models.config import ModelConfig


@struct.dataclass
class KVCache:
    keys: tuple[jax.Array, ...]    # num_layers x [batch, capacity, kv_heads, head_dim]
    values: tuple[jax.Array, ...]  # same

    @property
    def capacity(self) -> int:
        return self.keys[0].shape[1]

    @property
    def batch_size(self) -> int:
        return self.keys[0].shape[0]

    @classmethod
    def zeros(cls, config: ModelConfig, batch_size: int, capacity: int, dtype=None) -> "KVCache":
        """An empty cache; `dtype` defaults to the model's compute dtype."""
        dtype = jnp.dtype(dtype or config.dtype)
        shape = (batch_size, capacity, config.num_kv_heads, config.head_dim)
        return cls(
            keys=tuple(jnp.zeros(shape, dtype) for _ in range(config.num_layers)),
            values=tuple(jnp.zeros(shape, dtype) for _ in range(config.num_layers)),
        )


CACHE_LOGICAL_AXES = ("batch", "cache_length", "kv_heads", "head_dim")


def write_rows(cache_layer: jax.Array, new: jax.Array, starts: jax.Array) -> jax.Array:
    """Write new [batch, time, kv_heads, head_dim] into cache_layer at per-row offset starts[batch]."""

    def write_one(row_cache, row_new, start):
        return jax.lax.dynamic_update_slice(row_cache, row_new.astype(row_cache.dtype), (start, 0, 0))

    return jax.vmap(write_one)(cache_layer, new, starts)
