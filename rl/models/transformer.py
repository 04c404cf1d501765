"""One decoder-only transformer in Flax NNX for Qwen2/2.5 (QKV bias), Qwen3 (q/k RMSNorm)
and Llama 3.x (RoPE scaling), with tied or untied embeddings, GQA, SwiGLU and RMSNorm;
the family differences are `ModelConfig` fields.

API (methods; the pure jitted wrappers over `nnx.split` state live in `rl.models.forward`):
  model(tokens, positions=None, key_mask=None) -> float32 logits [batch, time, vocab]
  model.hidden_states(tokens, positions=None, key_mask=None) -> final-normed [b, t, embed]
  model.logits_from_hidden(hidden) -> float32 logits
  model.output_head() -> the [embed, vocab] output projection (the embedding when tied)
  model.prefill(tokens, lengths, capacity) -> (last-token logits [b, vocab], KVCache)
  model.extend(tokens, positions, cache) -> (logits [b, t, vocab], KVCache)   # decode step(s)
Matmul inputs are `config.dtype`; accumulation, the residual stream, norms, softmax and
logits are float32. The decoder layers are stored stacked (every parameter [num_layers, ...],
`rl.models.layer_stack`) and every path (full forward, prefill, decode) is one scan over
them; `config.remat` rematerialises each layer step in the backward pass of
`hidden_states`. The embedding table is stored [embed, vocab] (the transpose of Hugging
Face's): tied logits are then a plain [b, embed] x [embed, vocab] matmul, which XLA:CPU runs
about twice as fast as the transposed product (it copies the 0.5B model's 544 MB table
otherwise, measured); the lookup gathers columns instead of rows.
"""
from __future__ import annotations

from typing import Optional

import jax
import jax.numpy as jnp
from flax import nnx

from rl.models.attention import AttentionMask
from rl.models.config import ModelConfig
from rl.models.kv_cache import KVCache
from rl.models.layer_stack import scan_layers, stacked_layers
from rl.models.layers import RMSNorm
from rl.models.matmul import dense


class Transformer(nnx.Module):
    def __init__(self, config: ModelConfig, *, rngs: nnx.Rngs):
        self.config = config
        pdt = jnp.dtype(config.param_dtype)
        embedding = jax.random.normal(rngs.params(), (config.hidden_size, config.vocab_size), jnp.float32)
        self.embed_tokens = nnx.Param((embedding * 0.02).astype(pdt), logical_axes=("embed", "vocab"))
        self.layers = stacked_layers(config, rngs=rngs)   # parameters [num_layers, ...]
        self.norm = RMSNorm(config.hidden_size, config.rms_norm_eps, pdt)
        if not config.tie_word_embeddings:
            head = jax.random.normal(rngs.params(), (config.hidden_size, config.vocab_size), jnp.float32)
            self.lm_head = nnx.Param((head * 0.02).astype(pdt), logical_axes=("embed", "vocab"))

    def embed(self, tokens: jax.Array) -> jax.Array:
        """Token embeddings [..., embed] in float32."""
        columns = jnp.take(self.embed_tokens[...], tokens, axis=1)  # [embed, ...]
        return jnp.moveaxis(columns, 0, -1).astype(jnp.float32)

    def output_head(self) -> jax.Array:
        """The [embed, vocab] matrix of the output projection (the embedding when tied)."""
        head = self.embed_tokens if self.config.tie_word_embeddings else self.lm_head
        return head[...]

    def logits_from_hidden(self, hidden: jax.Array) -> jax.Array:
        return dense(hidden, self.output_head(), "...d,dv->...v", jnp.dtype(self.config.dtype))

    def _layers_forward(self, x, positions, mask: AttentionMask, *, with_kv: bool = False, remat: bool = False):
        """The layer stack over embedded x: (final hidden before the norm, per-layer (keys,
        values) each [num_layers, b, t, kv_heads, head_dim] when `with_kv`, else None)."""

        def one_layer(layer, hidden, _):
            hidden, kv = layer(hidden, positions, mask)
            return hidden, kv if with_kv else None

        return scan_layers(self.layers, one_layer, x, remat=remat)

    def hidden_states(
        self, tokens: jax.Array, positions: Optional[jax.Array] = None, key_mask: Optional[jax.Array] = None
    ) -> jax.Array:
        """Final-normed hidden states [batch, time, embed] of a full causal forward pass.

        With positions None (0..t-1 in every row), `key_mask` must be True on a prefix of each
        row (right padding; every caller pads that way): the mask then has the form a fused
        attention kernel takes (`rl.models.attention`). Explicit positions take the general
        mask (query sees key where key position <= query position and key_mask)."""
        if positions is None:
            positions = jnp.broadcast_to(jnp.arange(tokens.shape[1], dtype=jnp.int32), tokens.shape)
            mask = AttentionMask.causal_right_padded(tokens.shape[0], tokens.shape[1], key_mask)
        else:
            mask = AttentionMask.causal_prefix(positions, key_mask)
        hidden, _ = self._layers_forward(self.embed(tokens), positions, mask, remat=self.config.remat)
        return self.norm(hidden)

    def __call__(
        self, tokens: jax.Array, positions: Optional[jax.Array] = None, key_mask: Optional[jax.Array] = None
    ) -> jax.Array:
        return self.logits_from_hidden(self.hidden_states(tokens, positions, key_mask))

    def prefill(self, tokens: jax.Array, lengths: jax.Array, capacity: int) -> tuple[jax.Array, KVCache]:
        """Run right-padded prompts tokens [b, t] with valid lengths [b] (each >= 1); return the
        logits of each row's last valid token and a cache of `capacity` slots holding the prompt."""
        batch, time = tokens.shape
        if capacity < time:
            raise ValueError(f"cache capacity {capacity} is smaller than the prompt length {time}")
        positions = jnp.broadcast_to(jnp.arange(time, dtype=jnp.int32), (batch, time))
        mask = AttentionMask.causal_right_padded(batch, time, positions < lengths[:, None])
        hidden, (keys, values) = self._layers_forward(self.embed(tokens), positions, mask, with_kv=True)
        hidden = self.norm(hidden)
        last = jnp.take_along_axis(hidden, (lengths - 1)[:, None, None].astype(jnp.int32), axis=1)[:, 0]
        cache = KVCache.of_prompt(keys, values, capacity, jnp.dtype(self.config.dtype))
        return self.logits_from_hidden(last), cache

    def extend(self, tokens: jax.Array, positions: jax.Array, cache: KVCache) -> tuple[jax.Array, KVCache]:
        """Feed tokens [b, t] at positions [b, t] (contiguous per row) through the cache: their
        keys/values are written at those slots and each attends to the slots <= its position."""

        def one_layer(layer, carry, index):
            hidden, carried_cache = carry
            return layer.with_cache(hidden, positions, carried_cache, index), None

        indices = jnp.arange(self.config.num_layers, dtype=jnp.int32)
        (hidden, cache), _ = scan_layers(self.layers, one_layer, (self.embed(tokens), cache), indices)
        return self.logits_from_hidden(self.norm(hidden)), cache
