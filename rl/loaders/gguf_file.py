"""Loading a GGUF file: its metadata as a `ModelConfig` and its tensors dequantised (with
the `gguf` package) to float32 under Hugging Face names.

Layout notes. GGUF stores 2-D weights with ggml's reversed dimension order, which after
dequantisation is exactly Hugging Face's [out, in]. For the `llama` architecture llama.cpp's
converter permutes the rows of Q and K (from HF's half-split rotary layout to interleaved
pairs), so they are un-permuted here; for `qwen2`/`qwen3` it does not, and neither do we.
Llama 3 RoPE scaling is not in the metadata but in a `rope_freqs` tensor; it is checked
against Llama 3.1's published scaling parameters and rejected when it differs.

Tied embeddings: GGUF does not record whether the original model tied its head to the
embeddings. By default (`tie_word_embeddings=None`) a file with an `output.weight` is read as
untied, as llama.cpp and transformers read it. Quantised files of tied models (Qwen2.5-Coder
0.5B) often store such a separately quantised copy; `tie_word_embeddings=True` drops it and
ties the head to the embeddings, as in the original checkpoint (0.5B then has 494,032,768
parameters); the model packs say which their model is.
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Optional

import gguf
import numpy as np

from rl.loaders.errors import CheckpointError
from rl.loaders.tensor_layout import select_model_tensors
from rl.models.config import SUPPORTED_ARCHITECTURES, ModelConfig

_GLOBAL_NAMES = {
    "token_embd.weight": "model.embed_tokens.weight",
    "output_norm.weight": "model.norm.weight",
    "output.weight": "lm_head.weight",
}
_LAYER_NAMES = {
    "attn_norm.weight": "input_layernorm.weight",
    "ffn_norm.weight": "post_attention_layernorm.weight",
    "attn_q.weight": "self_attn.q_proj.weight",
    "attn_q.bias": "self_attn.q_proj.bias",
    "attn_k.weight": "self_attn.k_proj.weight",
    "attn_k.bias": "self_attn.k_proj.bias",
    "attn_v.weight": "self_attn.v_proj.weight",
    "attn_v.bias": "self_attn.v_proj.bias",
    "attn_output.weight": "self_attn.o_proj.weight",
    "attn_q_norm.weight": "self_attn.q_norm.weight",
    "attn_k_norm.weight": "self_attn.k_norm.weight",
    "ffn_gate.weight": "mlp.gate_proj.weight",
    "ffn_up.weight": "mlp.up_proj.weight",
    "ffn_down.weight": "mlp.down_proj.weight",
}
_LAYER_PATTERN = re.compile(r"blk\.(\d+)\.(.+)")
# Llama 3.1's rope_scaling, the only one llama.cpp folds into a rope_freqs tensor that we accept.
LLAMA31_ROPE_SCALING = {
    "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
    "original_max_position_embeddings": 8192,
}


def hf_tensor_name(gguf_name: str) -> Optional[str]:
    """The Hugging Face name of a GGUF tensor, or None for tensors the decoder does not use."""
    if gguf_name in _GLOBAL_NAMES:
        return _GLOBAL_NAMES[gguf_name]
    match = _LAYER_PATTERN.fullmatch(gguf_name)
    if match and match.group(2) in _LAYER_NAMES:
        return f"model.layers.{match.group(1)}.{_LAYER_NAMES[match.group(2)]}"
    return None


def unpermute_rotary_rows(weight: np.ndarray, num_heads: int) -> np.ndarray:
    """Undo llama.cpp's Q/K row permutation (interleaved rotary pairs -> HF's split halves)."""
    rows = weight.shape[0]
    head_rows = rows // num_heads
    grouped = weight.reshape(num_heads, head_rows // 2, 2, *weight.shape[1:])
    return grouped.swapaxes(1, 2).reshape(weight.shape)


def permute_rotary_rows(weight: np.ndarray, num_heads: int) -> np.ndarray:
    """llama.cpp's Q/K row permutation (HF split halves -> interleaved pairs); inverse of the above."""
    rows = weight.shape[0]
    head_rows = rows // num_heads
    grouped = weight.reshape(num_heads, 2, head_rows // 2, *weight.shape[1:])
    return grouped.swapaxes(1, 2).reshape(weight.shape)


def llama3_rope_frequency_factors(head_dim: int, theta: float, scaling: dict[str, Any]) -> np.ndarray:
    """The per-frequency divisors Llama 3 RoPE scaling applies, as llama.cpp stores in rope_freqs."""
    factor, low, high = scaling["factor"], scaling["low_freq_factor"], scaling["high_freq_factor"]
    original = scaling["original_max_position_embeddings"]
    frequencies = 1.0 / theta ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)
    divisors = []
    for frequency in frequencies:
        wavelength = 2 * math.pi / frequency
        if wavelength < original / high:
            divisors.append(1.0)
        elif wavelength > original / low:
            divisors.append(factor)
        else:
            smooth = (original / wavelength - low) / (high - low)
            divisors.append(1.0 / ((1 - smooth) / factor + smooth))
    return np.asarray(divisors, dtype=np.float32)


class GgufMetadata:
    """Typed access to a GGUF file's key-value metadata."""

    def __init__(self, reader: gguf.GGUFReader, path: Path):
        self.reader, self.path = reader, path

    def get(self, key: str, default: Any = None) -> Any:
        field = self.reader.fields.get(key)
        return default if field is None else field.contents()

    def require(self, key: str) -> Any:
        value = self.get(key)
        if value is None:
            raise CheckpointError(f"GGUF file {self.path} lacks the metadata key {key!r}")
        return value


def open_gguf(path: str | Path) -> tuple[gguf.GGUFReader, GgufMetadata]:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"GGUF file {path} does not exist")
    try:
        reader = gguf.GGUFReader(path)
    except (ValueError, OSError) as error:
        raise CheckpointError(f"{path} is not a readable GGUF file: {error}") from None
    return reader, GgufMetadata(reader, path)


def read_gguf_config(reader: gguf.GGUFReader, metadata: GgufMetadata,
                     tie_word_embeddings: Optional[bool]) -> ModelConfig:
    """The ModelConfig the GGUF metadata describes."""
    architecture = metadata.require("general.architecture")
    if architecture not in SUPPORTED_ARCHITECTURES:
        raise CheckpointError(
            f"GGUF file {metadata.path} has unsupported architecture {architecture!r}; supported: "
            + ", ".join(SUPPORTED_ARCHITECTURES)
        )
    tensor_shapes = {tensor.name: tuple(int(d) for d in tensor.shape) for tensor in reader.tensors}
    if "token_embd.weight" not in tensor_shapes:
        raise CheckpointError(f"GGUF file {metadata.path} lacks the tensor token_embd.weight")
    hidden = int(metadata.require(f"{architecture}.embedding_length"))
    num_heads = int(metadata.require(f"{architecture}.attention.head_count"))
    head_dim = int(metadata.get(f"{architecture}.attention.key_length", hidden // num_heads))
    theta = float(metadata.get(f"{architecture}.rope.freq_base", 10000.0))
    rope_scaling = None
    if "rope_freqs.weight" in tensor_shapes:
        rope_scaling = _llama31_scaling_checked(reader, metadata.path, head_dim, theta)
    return ModelConfig(
        architecture=architecture,
        vocab_size=tensor_shapes["token_embd.weight"][1],  # ggml order: [hidden, vocab]
        hidden_size=hidden,
        intermediate_size=int(metadata.require(f"{architecture}.feed_forward_length")),
        num_layers=int(metadata.require(f"{architecture}.block_count")),
        num_heads=num_heads,
        num_kv_heads=int(metadata.get(f"{architecture}.attention.head_count_kv", num_heads)),
        head_dim=head_dim,
        rope_theta=theta,
        rope_scaling=rope_scaling,
        # GGUF stores eps as float32 (1e-6 reads back as 9.99999997e-07); keep its decimal value.
        rms_norm_eps=float(f"{float(metadata.get(f'{architecture}.attention.layer_norm_rms_epsilon', 1e-6)):.7g}"),
        qkv_bias="blk.0.attn_q.bias" in tensor_shapes,
        qk_norm="blk.0.attn_q_norm.weight" in tensor_shapes,
        tie_word_embeddings="output.weight" not in tensor_shapes or bool(tie_word_embeddings),
        max_position_embeddings=int(metadata.get(f"{architecture}.context_length", 32768)),
    )


def _llama31_scaling_checked(reader: gguf.GGUFReader, path: Path, head_dim: int, theta: float) -> dict[str, Any]:
    stored = next(_dequantised(t) for t in reader.tensors if t.name == "rope_freqs.weight")
    expected = llama3_rope_frequency_factors(head_dim, theta, LLAMA31_ROPE_SCALING)
    if stored.shape != expected.shape or not np.allclose(stored, expected, rtol=1e-4):
        raise CheckpointError(
            f"GGUF file {path} carries RoPE frequency factors (rope_freqs) that are not Llama 3.1's scaling; "
            "load the Hugging Face safetensors checkpoint instead, whose config.json states its rope_scaling"
        )
    return dict(LLAMA31_ROPE_SCALING)


def _dequantised(tensor: Any) -> np.ndarray:
    values = gguf.quants.dequantize(tensor.data, tensor.tensor_type)
    return np.asarray(values, dtype=np.float32).reshape(tuple(reversed([int(d) for d in tensor.shape])))


def load_gguf(path: str | Path, *, tie_word_embeddings: Optional[bool] = None
              ) -> tuple[ModelConfig, dict[str, np.ndarray]]:
    """(config, float32 tensors under Hugging Face names) of a GGUF file; see the module
    docstring for `tie_word_embeddings` (None: as the file says)."""
    reader, metadata = open_gguf(path)
    config = read_gguf_config(reader, metadata, tie_word_embeddings)
    tensors = {}
    for tensor in reader.tensors:
        name = hf_tensor_name(tensor.name)
        if name is None or (name == "lm_head.weight" and config.tie_word_embeddings):
            continue
        values = _dequantised(tensor)
        if config.architecture == "llama" and name.endswith("q_proj.weight"):
            values = unpermute_rotary_rows(values, config.num_heads)
        elif config.architecture == "llama" and name.endswith("k_proj.weight"):
            values = unpermute_rotary_rows(values, config.num_kv_heads)
        tensors[name] = values
    return config, select_model_tensors(config, tensors, str(path))
