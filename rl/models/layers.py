"""The decoder's building blocks in Flax NNX: RMSNorm, grouped-query attention (optional
QKV bias for Qwen2, per-head q/k RMSNorm for Qwen3; the kernel itself is
`rl.models.attention`), the SwiGLU MLP and one decoder layer.

Every parameter carries `logical_axes` metadata (names from `rl.sharding.LOGICAL_AXIS_RULES`).
Kernels are stored [in, out] (heads kept as their own axis), so a matmul reads the weight
in its stored layout; `rl.models.hf_weights` transposes Hugging Face's [out, in] once at load.

Numerics: `config.dtype` is the dtype of matmul inputs; every matmul accumulates and returns
float32 and everything else (residual stream, norms, rotary, softmax) runs in float32. This
is the fast path on CPU (a bf16 x bf16 -> bf16 dot there is ~8x slower than -> f32, measured)
and the MXU/tensor-core path on TPU/GPU. Gradients through matmuls run in `config.dtype`
too (`rl.models.matmul`).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from rl.models.attention import AttentionMask, attend
from rl.models.config import ModelConfig
from rl.models.kv_cache import KVCache
from rl.models.matmul import dense
from rl.models.rope import apply_rotary, inverse_frequencies


def _param(rngs: nnx.Rngs, shape, axes, dtype, scale=None) -> nnx.Param:
    fan_in = shape[0]
    scale = (1.0 / np.sqrt(fan_in)) if scale is None else scale
    value = jax.random.normal(rngs.params(), shape, jnp.float32) * scale
    return nnx.Param(value.astype(dtype), logical_axes=axes)


class RMSNorm(nnx.Module):
    """x / rms(x) * weight, computed in float32."""

    def __init__(self, size: int, eps: float, param_dtype, axis_name: str = "norm"):
        self.eps = eps
        self.weight = nnx.Param(jnp.ones((size,), param_dtype), logical_axes=(axis_name,))

    def __call__(self, x: jax.Array) -> jax.Array:
        x32 = x.astype(jnp.float32)
        variance = jnp.mean(x32 * x32, axis=-1, keepdims=True)
        normed = x32 * jax.lax.rsqrt(variance + self.eps)
        return normed * self.weight[...].astype(jnp.float32)


class Attention(nnx.Module):
    """Grouped-query self-attention with rotary positions."""

    def __init__(self, config: ModelConfig, *, rngs: nnx.Rngs):
        c = config
        pdt = jnp.dtype(c.param_dtype)
        self.config = c
        self.q_proj = _param(rngs, (c.hidden_size, c.num_heads, c.head_dim), ("embed", "heads", "head_dim"), pdt)
        self.k_proj = _param(rngs, (c.hidden_size, c.num_kv_heads, c.head_dim), ("embed", "kv_heads", "head_dim"), pdt)
        self.v_proj = _param(rngs, (c.hidden_size, c.num_kv_heads, c.head_dim), ("embed", "kv_heads", "head_dim"), pdt)
        self.o_proj = _param(
            rngs, (c.num_heads, c.head_dim, c.hidden_size), ("heads", "head_dim", "embed"), pdt,
            scale=1.0 / np.sqrt(c.num_heads * c.head_dim),
        )
        if c.qkv_bias:
            self.q_bias = _param(rngs, (c.num_heads, c.head_dim), ("heads", "head_dim"), pdt, scale=0.02)
            self.k_bias = _param(rngs, (c.num_kv_heads, c.head_dim), ("kv_heads", "head_dim"), pdt, scale=0.02)
            self.v_bias = _param(rngs, (c.num_kv_heads, c.head_dim), ("kv_heads", "head_dim"), pdt, scale=0.02)
        if c.qk_norm:
            self.q_norm = RMSNorm(c.head_dim, c.rms_norm_eps, pdt, axis_name="head_dim")
            self.k_norm = RMSNorm(c.head_dim, c.rms_norm_eps, pdt, axis_name="head_dim")

    def _project(self, x, positions):
        dt = jnp.dtype(self.config.dtype)
        q = dense(x, self.q_proj[...], "btd,dhk->bthk", dt)
        k = dense(x, self.k_proj[...], "btd,dhk->bthk", dt)
        v = dense(x, self.v_proj[...], "btd,dhk->bthk", dt)
        if self.config.qkv_bias:
            q = q + self.q_bias[...].astype(jnp.float32)
            k = k + self.k_bias[...].astype(jnp.float32)
            v = v + self.v_bias[...].astype(jnp.float32)
        if self.config.qk_norm:
            q = self.q_norm(q)
            k = self.k_norm(k)
        inv_freq = inverse_frequencies(self.config)
        q = apply_rotary(q, positions, inv_freq)
        k = apply_rotary(k, positions, inv_freq)
        return q, k, v

    def _output(self, mixed):
        """[b, t, heads, head_dim] -> [b, t, embed] through o_proj."""
        return dense(mixed, self.o_proj[...], "bthk,hkd->btd", jnp.dtype(self.config.dtype))

    def __call__(self, x, positions, mask: AttentionMask):
        """Attention within x [b,t,embed] under `mask` (built once per forward pass by the
        transformer); returns (output, (keys, values)) for caching."""
        q, k, v = self._project(x, positions)
        return self._output(attend(q, k, v, mask, self.config)), (k, v)

    def with_cache(self, x, positions, cache: KVCache, layer: jax.Array) -> tuple[jax.Array, KVCache]:
        """Write x's keys/values into layer `layer` of the stacked cache at slots `positions`
        (contiguous per row) and attend to every cached slot <= the query position.
        Returns (output, cache)."""
        q, k, v = self._project(x, positions)
        cache = cache.write(layer, k, v, positions[:, 0])
        cache_keys, cache_values = cache.layer(layer)
        mask = AttentionMask.cached(positions, cache.capacity)
        return self._output(attend(q, cache_keys, cache_values, mask, self.config)), cache


class MLP(nnx.Module):
    """SwiGLU: down(silu(gate(x)) * up(x))."""

    def __init__(self, config: ModelConfig, *, rngs: nnx.Rngs):
        c = config
        pdt = jnp.dtype(c.param_dtype)
        self.dtype = jnp.dtype(c.dtype)
        self.gate_proj = _param(rngs, (c.hidden_size, c.intermediate_size), ("embed", "mlp"), pdt)
        self.up_proj = _param(rngs, (c.hidden_size, c.intermediate_size), ("embed", "mlp"), pdt)
        self.down_proj = _param(rngs, (c.intermediate_size, c.hidden_size), ("mlp", "embed"), pdt)

    def __call__(self, x):
        gate = dense(x, self.gate_proj[...], "...d,df->...f", self.dtype)
        up = dense(x, self.up_proj[...], "...d,df->...f", self.dtype)
        return dense(jax.nn.silu(gate) * up, self.down_proj[...], "...f,fd->...d", self.dtype)


class DecoderLayer(nnx.Module):
    """Pre-norm residual block: x + attn(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, config: ModelConfig, *, rngs: nnx.Rngs):
        pdt = jnp.dtype(config.param_dtype)
        self.input_layernorm = RMSNorm(config.hidden_size, config.rms_norm_eps, pdt)
        self.self_attn = Attention(config, rngs=rngs)
        self.post_attention_layernorm = RMSNorm(config.hidden_size, config.rms_norm_eps, pdt)
        self.mlp = MLP(config, rngs=rngs)

    def __call__(self, x, positions, mask: AttentionMask):
        attended, kv = self.self_attn(self.input_layernorm(x), positions, mask)
        x = x + attended
        x = x + self.mlp(self.post_attention_layernorm(x))
        return x, kv

    def with_cache(self, x, positions, cache: KVCache, layer: jax.Array) -> tuple[jax.Array, KVCache]:
        """The block over a cache: this is layer `layer` of the stack (its slot in the cache)."""
        attended, cache = self.self_attn.with_cache(self.input_layernorm(x), positions, cache, layer)
        x = x + attended
        x = x + self.mlp(self.post_attention_layernorm(x))
        return x, cache
