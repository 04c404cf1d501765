"""Exporting a policy as a Hugging Face model directory that `transformers`, vLLM and this
project's own loaders (`rl.loaders.load_checkpoint`: rl.evaluate, rl.generate, the
trainer's `model.checkpoint`) read:

  config.json                      the architecture (`rl.loaders.hf_directory.hf_config_dict`)
                                   with `torch_dtype` = the export dtype
  model.safetensors                the weights, or, past `max_shard_bytes`,
  model-0000i-of-0000n.safetensors + model.safetensors.index.json (the weight map)
  tokenizer.json, tokenizer_config.json, chat_template.jinja
                                   the policy's tokenizer, special tokens and chat template
  generation_config.json           BOS / EOS (every stop token) / pad ids

Owns the inversion of the loader's tensor table (our parameter layout -> Hugging Face
names and shapes; row i of a stacked layer parameter -> `model.layers.{i}.…`), the dtype
cast, the sharding and the file set. The trainer calls `export_policy` at the end of a run
when `checkpoint.export_directory` is set.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Optional

import jax
import ml_dtypes
import numpy as np
from flax import nnx

from rl.loaders.hf_directory import SHARD_INDEX, SINGLE_FILE, hf_config_dict
from rl.loaders.safetensors_io import write_safetensors
from rl.loaders.tokenizer import CHAT_TEMPLATE_FILE, GENERATION_CONFIG_FILE
from rl.models.config import ModelConfig
from rl.models.hf_weights import hf_tensor_table   # the loader's HF name <-> our parameter table

EXPORT_DTYPES = {"float32": np.float32, "bfloat16": ml_dtypes.bfloat16, "float16": np.float16}
DEFAULT_MAX_SHARD_BYTES = 2 << 30      # 2 GiB per safetensors file, as transformers' save_pretrained


def _to_hf_layout(ours: np.ndarray, hf_shape: tuple, convert) -> np.ndarray:
    """Invert a loader converter (a reshape, or a transpose then reshape) for one tensor."""
    for candidate in (ours.reshape(hf_shape), ours.reshape(hf_shape[::-1]).T):
        if candidate.shape == tuple(hf_shape) and np.array_equal(convert(candidate), ours):
            return np.ascontiguousarray(candidate)
    raise ValueError(f"cannot map a parameter of shape {ours.shape} back to the Hugging Face shape {hf_shape}")


def hf_tensors(params: nnx.State, config: ModelConfig, dtype: str = "float32") -> dict[str, np.ndarray]:
    """`params` (this model's layout) as Hugging Face named tensors in `dtype`."""
    if dtype not in EXPORT_DTYPES:
        raise ValueError(f"export dtype {dtype!r} is unknown; choose one of {', '.join(EXPORT_DTYPES)}")
    flat = {path: np.asarray(jax.device_get(variable.get_value()), dtype=np.float32)
            for path, variable in nnx.to_flat_state(params)}
    tensors = {}
    for entry in hf_tensor_table(config):
        if entry.path not in flat:
            raise ValueError(f"parameter {'.'.join(map(str, entry.path))} (for {entry.hf_name}) is missing "
                             "from the state to export")
        ours = flat[entry.path] if entry.layer is None else flat[entry.path][entry.layer]
        tensors[entry.hf_name] = _to_hf_layout(ours, entry.hf_shape, entry.convert).astype(EXPORT_DTYPES[dtype])
    return tensors


def shard_plan(tensors: dict[str, np.ndarray], max_shard_bytes: int) -> list[list[str]]:
    """Tensor names grouped into files of at most `max_shard_bytes` each (a tensor larger
    than the limit gets a file of its own), in name order."""
    shards: list[list[str]] = [[]]
    size = 0
    for name in sorted(tensors):
        nbytes = tensors[name].nbytes
        if shards[-1] and size + nbytes > max_shard_bytes:
            shards.append([])
            size = 0
        shards[-1].append(name)
        size += nbytes
    return shards


def write_weights(directory: Path, tensors: dict[str, np.ndarray], max_shard_bytes: int) -> list[str]:
    """model.safetensors, or shards plus model.safetensors.index.json; the file names written."""
    plan = shard_plan(tensors, max_shard_bytes)
    for stale in list(directory.glob("model*.safetensors")) + [directory / SHARD_INDEX]:
        stale.unlink(missing_ok=True)
    if len(plan) == 1:
        write_safetensors(directory / SINGLE_FILE, tensors)
        return [SINGLE_FILE]
    names = [f"model-{index:05d}-of-{len(plan):05d}.safetensors" for index in range(1, len(plan) + 1)]
    weight_map = {}
    for file_name, members in zip(names, plan):
        write_safetensors(directory / file_name, {name: tensors[name] for name in members})
        weight_map.update({name: file_name for name in members})
    index = {"metadata": {"total_size": int(sum(t.nbytes for t in tensors.values()))}, "weight_map": weight_map}
    (directory / SHARD_INDEX).write_text(json.dumps(index, indent=2, sort_keys=True))
    return names + [SHARD_INDEX]


def write_tokenizer(directory: Path, tokenizer: Any) -> None:
    """The tokenizer files (rl.loaders.Tokenizer.save), the chat template as its own file,
    and BOS / pad ids beside the stop ids in generation_config.json."""
    tokenizer.save(directory)
    if getattr(tokenizer, "chat_template", None):
        (directory / CHAT_TEMPLATE_FILE).write_text(tokenizer.chat_template)
    generation_path = directory / GENERATION_CONFIG_FILE
    generation = json.loads(generation_path.read_text()) if generation_path.is_file() else {}
    if getattr(tokenizer, "bos_token_id", None) is not None:
        generation["bos_token_id"] = int(tokenizer.bos_token_id)
    generation["pad_token_id"] = int(tokenizer.pad_token_id)
    generation_path.write_text(json.dumps(generation, indent=2))


def export_hf(params: nnx.State, config: ModelConfig, directory: str | os.PathLike, *,
              tokenizer: Optional[Any] = None, dtype: str = "float32",
              max_shard_bytes: int = DEFAULT_MAX_SHARD_BYTES) -> Path:
    """Write the export directory (see the module docstring). Without a `tokenizer` (one
    with `save`, i.e. `rl.loaders.Tokenizer`) only config.json and the weights are written,
    and the directory then needs the base model's tokenizer files to be served."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tensors = hf_tensors(params, config, dtype)
    hf_config = hf_config_dict(config)
    hf_config["torch_dtype"] = dtype
    (directory / "config.json").write_text(json.dumps(hf_config, indent=2))
    write_weights(directory, tensors, max_shard_bytes)
    if tokenizer is not None and hasattr(tokenizer, "save"):
        write_tokenizer(directory, tokenizer)
    return directory


def export_policy(params: nnx.State, policy: Any, directory: str | os.PathLike, *, dtype: str = "float32",
                  max_shard_bytes: int = DEFAULT_MAX_SHARD_BYTES) -> Path:
    """`export_hf` of a `rl.policy.Policy`'s model config and tokenizer with `params`."""
    return export_hf(params, policy.model_config, directory, tokenizer=policy.tokenizer, dtype=dtype,
                     max_shard_bytes=max_shard_bytes)
