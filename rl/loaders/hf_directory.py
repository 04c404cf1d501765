"""Loading a Hugging Face checkpoint directory: config.json plus model.safetensors, or
shards listed in model.safetensors.index.json."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from rl.loaders.errors import CheckpointError
from rl.loaders.safetensors_io import read_safetensors, write_safetensors
from rl.loaders.tensor_layout import select_model_tensors
from rl.models.config import ModelConfig

SINGLE_FILE = "model.safetensors"
SHARD_INDEX = "model.safetensors.index.json"


def read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except ValueError as error:
        raise CheckpointError(f"{path} is not valid JSON: {error}") from None


def read_model_config(directory: Path, **overrides: Any) -> ModelConfig:
    """The ModelConfig of a checkpoint directory's config.json."""
    config_path = directory / "config.json"
    if not config_path.is_file():
        raise CheckpointError(f"{directory} has no config.json; a Hugging Face checkpoint directory needs one")
    hf_config = read_json(config_path)
    try:
        return ModelConfig.from_hf_config(hf_config, **overrides)
    except ValueError as error:
        raise CheckpointError(f"{config_path}: {error}") from None
    except KeyError as error:
        raise CheckpointError(f"{config_path} lacks the field {error.args[0]!r}") from None


def read_checkpoint_tensors(directory: Path) -> dict[str, np.ndarray]:
    """Every tensor of the directory's single file or of all shards its index names."""
    index_path = directory / SHARD_INDEX
    if index_path.is_file():
        weight_map = read_json(index_path).get("weight_map")
        if not isinstance(weight_map, dict):
            raise CheckpointError(f"{index_path} has no weight_map")
        tensors: dict[str, np.ndarray] = {}
        for shard in sorted(set(weight_map.values())):
            shard_path = directory / shard
            if not shard_path.is_file():
                raise CheckpointError(f"shard {shard} listed in {index_path} is missing")
            tensors.update(read_safetensors(shard_path))
        return tensors
    single = directory / SINGLE_FILE
    if single.is_file():
        return read_safetensors(single)
    raise CheckpointError(f"{directory} has neither {SINGLE_FILE} nor {SHARD_INDEX}")


def load_hf_directory(directory: str | Path, **config_overrides: Any) -> tuple[ModelConfig, dict[str, np.ndarray]]:
    """(config, tensors under Hugging Face names) of a safetensors checkpoint directory."""
    directory = Path(directory)
    config = read_model_config(directory, **config_overrides)
    tensors = read_checkpoint_tensors(directory)
    return config, select_model_tensors(config, tensors, str(directory))





def hf_config_dict(config: ModelConfig) -> dict[str, Any]:
    """The config.json Hugging Face (and `read_model_config`) reads back as `config`."""
    class_names = {"qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM", "llama": "LlamaForCausalLM"}
    hf = {
        "architectures": [class_names[config.architecture]],
        "model_type": config.architecture,
        "vocab_size": config.vocab_size,
        "hidden_size": config.hidden_size,
        "intermediate_size": config.intermediate_size,
        "num_hidden_layers": config.num_layers,
        "num_attention_heads": config.num_heads,
        "num_key_value_heads": config.num_kv_heads,
        "head_dim": config.head_dim,
        "hidden_act": "silu",
        "rope_theta": config.rope_theta,
        "rms_norm_eps": config.rms_norm_eps,
        "tie_word_embeddings": config.tie_word_embeddings,
        "max_position_embeddings": config.max_position_embeddings,
        "attention_bias": config.qkv_bias,
        "torch_dtype": "float32",
    }
    if config.rope_scaling is not None:
        hf["rope_scaling"] = dict(config.rope_scaling)
    return hf


def write_hf_directory(directory: str | Path, config: ModelConfig, tensors: dict[str, np.ndarray]) -> None:
    """Write config.json and model.safetensors (one file) that `load_hf_directory` reads back."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.json").write_text(json.dumps(hf_config_dict(config), indent=2))
    write_safetensors(directory / SINGLE_FILE, tensors)
