"""tunix's own Qwen2 model, built from a Hugging Face safetensors directory (config.json +
model.safetensors) with tunix's config class and safetensors loader, for the baselines.

Runs in the tunix venv (see `rl/baselines/__init__.py`). Only the fields tunix's Qwen2 has
are read; a checkpoint it cannot represent (another architecture, RoPE scaling) is refused
with a message rather than benchmarked as a different model.
"""
from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from typing import Any

import jax.numpy as jnp

_DTYPES = ("float32", "bfloat16")


def tunix_version() -> str:
    return metadata.version("google-tunix")


def read_hf_config(directory: str | Path) -> dict[str, Any]:
    """The config.json of a Qwen2 checkpoint directory, checked for what tunix's Qwen2 covers."""
    path = Path(directory) / "config.json"
    if not path.is_file():
        raise SystemExit(f"{directory} has no config.json: give a Hugging Face safetensors directory")
    hf = json.loads(path.read_text())
    if hf.get("model_type") != "qwen2":
        raise SystemExit(f"{path}: model_type {hf.get('model_type')!r}; the tunix baselines cover qwen2 only")
    scaling = hf.get("rope_scaling") or {}
    if scaling and scaling.get("rope_type", scaling.get("type", "default")) != "default":
        raise SystemExit(f"{path}: tunix's Qwen2 has no RoPE scaling, but the checkpoint uses {scaling}")
    return hf


def rope_theta(hf: dict[str, Any]) -> float:
    """transformers 5 writes `rope_parameters.rope_theta`; earlier versions `rope_theta`."""
    if "rope_theta" in hf:
        return float(hf["rope_theta"])
    return float((hf.get("rope_parameters") or {}).get("rope_theta", 10000.0))


def qwen2_fields(hf: dict[str, Any]) -> dict[str, Any]:
    """The architecture fields of tunix's `qwen2.ModelConfig` that a config.json gives."""
    heads = int(hf["num_attention_heads"])
    return dict(
        num_layers=int(hf["num_hidden_layers"]),
        vocab_size=int(hf["vocab_size"]),
        embed_dim=int(hf["hidden_size"]),
        hidden_dim=int(hf["intermediate_size"]),
        num_heads=heads,
        head_dim=int(hf.get("head_dim") or int(hf["hidden_size"]) // heads),
        num_kv_heads=int(hf["num_key_value_heads"]),
        rope_theta=rope_theta(hf),
        norm_eps=float(hf["rms_norm_eps"]),
        use_tied_embedding=bool(hf.get("tie_word_embeddings", False)),
    )


def _check_dtype(name: str, dtype: str) -> None:
    if dtype not in _DTYPES:
        raise SystemExit(f"{name} must be one of {', '.join(_DTYPES)}, got {dtype!r}")


def tunix_model_config(hf: dict[str, Any], dtype: str = "float32", remat: bool = False,
                       param_dtype: str = "float32"):
    """tunix's `qwen2.ModelConfig` for a config.json: `param_dtype` parameters, `dtype`
    compute, and with `remat` each decoder layer rematerialised (as our model's `remat`)."""
    from tunix.models.qwen2 import model as qwen2_model  # only in the tunix venv

    _check_dtype("dtype", dtype)
    _check_dtype("param_dtype", param_dtype)
    return qwen2_model.ModelConfig(
        **qwen2_fields(hf),
        remat_config=qwen2_model.RematConfig.DECODER if remat else qwen2_model.RematConfig.NONE,
        dtype=getattr(jnp, dtype),
        param_dtype=getattr(jnp, param_dtype),
    )


def load_tunix_qwen2(directory: str | Path, dtype: str = "float32", remat: bool = False,
                     param_dtype: str = "float32"):
    """(tunix Qwen2 module holding the directory's weights, its config.json as a dict)."""
    from tunix.models.qwen2 import params as qwen2_params  # only in the tunix venv

    hf = read_hf_config(directory)
    config = tunix_model_config(hf, dtype, remat, param_dtype)
    model = qwen2_params.create_model_from_safe_tensors(str(directory), config, mesh=None,
                                                        dtype=getattr(jnp, param_dtype))
    return model, hf
