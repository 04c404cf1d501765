"""The model config: one decoder, with the differences between families as fields.

Loaders build it from a Hugging Face config.json (`from_hf_config`) or GGUF metadata.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping, Optional

SUPPORTED_ARCHITECTURES = ("qwen2", "qwen3", "llama")

# The attention kernels rl.models.attention implements ("auto": cuDNN's fused kernel on a GPU
# with a 16-bit compute dtype, the einsum kernel elsewhere).
ATTENTION_IMPLEMENTATIONS = ("auto", "einsum", "xla", "cudnn")

_HF_MODEL_TYPES = {"qwen2": "qwen2", "qwen3": "qwen3", "llama": "llama"}


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    architecture: str
    vocab_size: int
    hidden_size: int
    intermediate_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    rope_theta: float = 10000.0
    # Llama 3 RoPE scaling, as in HF config.json: {"rope_type": "llama3", "factor": 8.0,
    # "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}
    rope_scaling: Optional[Mapping[str, Any]] = None
    rms_norm_eps: float = 1e-6
    qkv_bias: bool = False   # Qwen2/2.5
    qk_norm: bool = False    # Qwen3
    tie_word_embeddings: bool = False
    max_position_embeddings: int = 32768
    dtype: str = "float32"        # compute dtype ("bfloat16" for training/decoding at scale)
    param_dtype: str = "float32"
    remat: bool = False           # rematerialise each layer in the backward pass
    attention: str = "auto"       # kernel: auto | einsum | xla | cudnn (rl.models.attention)

    def __post_init__(self):
        if self.architecture not in SUPPORTED_ARCHITECTURES:
            raise ValueError(
                f"unsupported architecture {self.architecture!r}; supported: "
                + ", ".join(SUPPORTED_ARCHITECTURES)
            )
        if self.attention not in ATTENTION_IMPLEMENTATIONS:
            raise ValueError(f"unknown attention implementation {self.attention!r}; use one of "
                             + ", ".join(ATTENTION_IMPLEMENTATIONS))
        dtype_name = getattr(self.dtype, "name", getattr(self.dtype, "__name__", str(self.dtype)))
        if self.attention == "cudnn" and dtype_name not in ("bfloat16", "float16"):
            raise ValueError(f"attention='cudnn' needs a 16-bit compute dtype (model.dtype bfloat16 or float16, "
                             f"not {self.dtype})")
        if self.num_heads % self.num_kv_heads:
            raise ValueError(f"num_heads {self.num_heads} is not a multiple of num_kv_heads {self.num_kv_heads}")

    def __hash__(self) -> int:
        # rope_scaling is a dict; hash its items so the config can be a static jit argument.
        fields = dataclasses.astuple(dataclasses.replace(self, rope_scaling=None))
        scaling = tuple(sorted((self.rope_scaling or {}).items()))
        return hash((fields, scaling))

    def replace(self, **changes: Any) -> "ModelConfig":
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_hf_config(cls, hf: Mapping[str, Any], **overrides: Any) -> "ModelConfig":
        """Build from a Hugging Face config.json dictionary."""
        model_type = hf.get("model_type")
        if model_type not in _HF_MODEL_TYPES:
            raise ValueError(
                f"unsupported architecture {model_type!r} in config.json; supported: "
                + ", ".join(sorted(_HF_MODEL_TYPES))
            )
        architecture = _HF_MODEL_TYPES[model_type]
        num_heads = hf["num_attention_heads"]
        # transformers >= 5 writes `rope_parameters` (theta included); older files write
        # `rope_theta` and `rope_scaling` at the top level.
        rope_parameters = dict(hf.get("rope_parameters") or {})
        rope_theta = hf.get("rope_theta", rope_parameters.pop("rope_theta", 10000.0))
        rope_scaling = hf.get("rope_scaling")
        if rope_scaling is None and rope_parameters.get("rope_type", "default") != "default":
            rope_scaling = rope_parameters
        fields = dict(
            architecture=architecture,
            vocab_size=hf["vocab_size"],
            hidden_size=hf["hidden_size"],
            intermediate_size=hf["intermediate_size"],
            num_layers=hf["num_hidden_layers"],
            num_heads=num_heads,
            num_kv_heads=hf.get("num_key_value_heads", num_heads),
            head_dim=hf.get("head_dim") or hf["hidden_size"] // num_heads,
            rope_theta=float(rope_theta),
            rope_scaling=rope_scaling,
            rms_norm_eps=float(hf.get("rms_norm_eps", 1e-6)),
            qkv_bias=architecture == "qwen2" or bool(hf.get("attention_bias", False)),
            qk_norm=architecture == "qwen3",
            tie_word_embeddings=bool(hf.get("tie_word_embeddings", False)),
            max_position_embeddings=int(hf.get("max_position_embeddings", 32768)),
        )
        fields.update(overrides)
        return cls(**fields)
