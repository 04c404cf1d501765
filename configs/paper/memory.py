"""A per-chip HBM estimate for a GRPO training step, from the model's shape alone.

How it is estimated (counted, not measured; no TPU was available here):
- parameters: embeddings, attention (q, k, v, o with grouped KV heads, Qwen2 biases), the
  SwiGLU MLP (3 matrices), norms and an untied output head, counted exactly from the
  Hugging Face config's dimensions;
- training state: float32 parameters (4 bytes), float32 gradients (4) and AdamW's two
  float32 moments (8): 16 bytes per parameter, sharded over fsdp x tensor (FSDP shards
  all of it), plus one bfloat16 compute copy of the parameters (2 bytes, same sharding);
- activations with per-layer rematerialisation: one bfloat16 residual (tokens x d_model)
  per layer kept for the backward pass, plus one layer's working set recomputed (about
  16 x tokens x d_model, the attention and MLP intermediates) and the float32 logits of
  the micro-batch (tokens x vocab x 4 bytes, sharded over tensor);
- rollouts: the bfloat16 KV cache for the sequences each chip decodes.
Left out: XLA temporaries and fragmentation (budget 10-20% headroom), the frozen
reference model (the paper uses no KL term), the optimizer's fusion buffers.
"""
from __future__ import annotations

import dataclasses

GIB = 1024 ** 3


@dataclasses.dataclass(frozen=True)
class ModelShape:
    vocab_size: int
    hidden_size: int
    intermediate_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    qkv_bias: bool = False
    qk_norm: bool = False
    tie_word_embeddings: bool = False

    def parameter_count(self) -> int:
        d, kv = self.hidden_size, self.num_kv_heads * self.head_dim
        q = self.num_heads * self.head_dim
        attention = d * q + 2 * d * kv + q * d + (q + 2 * kv if self.qkv_bias else 0)
        attention += 2 * self.head_dim if self.qk_norm else 0
        layer = attention + 3 * d * self.intermediate_size + 2 * d
        head = 0 if self.tie_word_embeddings else self.vocab_size * d
        return self.vocab_size * d + self.num_layers * layer + d + head


@dataclasses.dataclass(frozen=True)
class StepShape:
    """One GRPO step: rollouts (prompts x G), their full length, and gradient-accumulation micro-batches."""

    rollouts: int
    sequence_length: int
    micro_batches: int


def per_chip_gib(model: ModelShape, step: StepShape, data: int, fsdp: int, tensor: int) -> dict[str, float]:
    """The estimate's parts and total in GiB for one chip of a (data, fsdp, tensor) mesh.
    Rows split over data x fsdp (the batch axes); tensor shards heads, MLP and vocabulary."""
    params = model.parameter_count()
    state = params * (16 + 2) / (fsdp * tensor)
    rows = step.rollouts / (data * fsdp)
    tokens = rows * step.sequence_length / step.micro_batches
    activations = (model.num_layers + 16) * tokens * model.hidden_size * 2      # not divided by tensor: conservative
    logits = tokens * model.vocab_size * 4 / tensor
    kv_cache = 2 * model.num_layers * model.num_kv_heads * model.head_dim * 2 * rows * step.sequence_length / tensor
    parts = {"training_state": state, "activations": activations, "logits": logits, "kv_cache": kv_cache}
    parts = {name: value / GIB for name, value in parts.items()}
    parts["total"] = sum(parts.values())
    return parts
