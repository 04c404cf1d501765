"""The KV cache: keys and values of every layer, each one array laid out
[num_layers, batch, capacity, kv_heads, head_dim] (the layer axis first, as the stacked
layer parameters of `rl.models.layer_stack`, so the decode scan indexes both the same way).

Cache slot s of a row holds the key/value of absolute position s, so a row's valid
prefix is positions [0, length) and rows may have different lengths (right padding).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from rl.models.config import ModelConfig

CACHE_LOGICAL_AXES = ("layers", "batch", "cache_length", "kv_heads", "head_dim")
BATCH_AXIS = 1   # of `keys` and `values`


@struct.dataclass
class KVCache:
    keys: jax.Array    # [num_layers, batch, capacity, kv_heads, head_dim]
    values: jax.Array  # same

    @property
    def capacity(self) -> int:
        return self.keys.shape[2]

    @property
    def batch_size(self) -> int:
        return self.keys.shape[BATCH_AXIS]

    @classmethod
    def zeros(cls, config: ModelConfig, batch_size: int, capacity: int, dtype=None) -> "KVCache":
        """An empty cache; `dtype` defaults to the model's compute dtype."""
        dtype = jnp.dtype(dtype or config.dtype)
        shape = (config.num_layers, batch_size, capacity, config.num_kv_heads, config.head_dim)
        return cls(keys=jnp.zeros(shape, dtype), values=jnp.zeros(shape, dtype))

    def take_rows(self, rows: jax.Array) -> "KVCache":
        """The cache of batch rows `rows` [b'] (in that order, repeats allowed)."""
        return KVCache(keys=jnp.take(self.keys, rows, axis=BATCH_AXIS),
                       values=jnp.take(self.values, rows, axis=BATCH_AXIS))

    def put_rows(self, rows: "KVCache", start: jax.Array) -> "KVCache":
        """This cache with batch rows [start, start + rows.batch_size) replaced by `rows`' (same
        layers and capacity; cast to this cache's dtype)."""
        def put(into: jax.Array, value: jax.Array) -> jax.Array:
            offsets = [0] * into.ndim
            offsets[BATCH_AXIS] = start
            return jax.lax.dynamic_update_slice(into, value.astype(into.dtype), offsets)
        return KVCache(keys=put(self.keys, rows.keys), values=put(self.values, rows.values))

    def write(self, layer: jax.Array, keys: jax.Array, values: jax.Array, starts: jax.Array) -> "KVCache":
        """Write one layer's new keys/values [batch, time, kv_heads, head_dim] at per-row slot
        offsets starts [batch]. An offset past capacity - time is clamped to it (as
        `jax.lax.dynamic_update_slice` clamps)."""
        slots = jnp.clip(starts, 0, self.capacity - keys.shape[1])[:, None] + jnp.arange(keys.shape[1])
        rows = jnp.arange(keys.shape[0])[:, None]
        # In bounds by the clip, so the scatter needs no out-of-bounds guard.
        return KVCache(
            keys=self.keys.at[layer, rows, slots].set(keys.astype(self.keys.dtype), mode="promise_in_bounds"),
            values=self.values.at[layer, rows, slots].set(values.astype(self.values.dtype), mode="promise_in_bounds"))

    def layer(self, layer: jax.Array) -> tuple[jax.Array, jax.Array]:
        """(keys, values) of one layer, each [batch, capacity, kv_heads, head_dim]."""
        return self.keys[layer], self.values[layer]

    @classmethod
    def of_prompt(cls, keys: jax.Array, values: jax.Array, capacity: int, dtype) -> "KVCache":
        """A cache of `capacity` slots holding every layer's prompt keys/values
        [num_layers, batch, time, kv_heads, head_dim] in its first `time` slots (zeros after)."""
        pad = [(0, 0), (0, 0), (0, capacity - keys.shape[2]), (0, 0), (0, 0)]
        return cls(keys=jnp.pad(keys.astype(dtype), pad), values=jnp.pad(values.astype(dtype), pad))
