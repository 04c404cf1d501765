"""`load_checkpoint`: one entry point for a model pack name, a Hugging Face checkpoint
directory, a GGUF file or `random-init:DIR` (random weights in DIR's config.json shape, for
throughput work: `rl.loaders.random_init`), giving the config, the tensors under Hugging
Face names and the tokenizer. Build the model with `rl.models.hf_weights.model_from_hf_tensors(config, tensors)`."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Optional

import numpy as np

from rl.loaders.errors import CheckpointError
from rl.loaders.gguf_file import load_gguf, open_gguf
from rl.loaders.gguf_tokenizer import tokenizer_from_gguf
from rl.loaders.hf_directory import load_hf_directory
from rl.loaders.model_packs import MODEL_PACKS
from rl.loaders.pack_cache import prepare_pack
from rl.loaders.random_init import is_random_init_source, load_random_init, random_init_directory
from rl.loaders.tokenizer import TOKENIZER_FILE, Tokenizer
from rl.models.config import ModelConfig


@dataclasses.dataclass(frozen=True)
class LoadedCheckpoint:
    """What a loader returns. `tokenizer` is None only for a directory without tokenizer.json."""

    name: str
    config: ModelConfig
    tensors: dict[str, np.ndarray]
    tokenizer: Optional[Tokenizer]
    path: Path


def load_checkpoint(source: str | Path, *, cache_dir: Optional[Path] = None,
                    tie_word_embeddings: Optional[bool] = None) -> LoadedCheckpoint:
    """Load a model pack (by name), a Hugging Face safetensors directory or a .gguf file.

    `tie_word_embeddings` applies to GGUF sources that store a separate output matrix (see
    `rl.loaders.gguf_file`; None: as the pack's model, or as the file says); safetensors
    directories follow their config.json.
    """
    name = str(source)
    if name in MODEL_PACKS:
        directory = prepare_pack(name, cache_dir=cache_dir, tie_word_embeddings=tie_word_embeddings)
        config, tensors = load_hf_directory(directory)
        return LoadedCheckpoint(name, config, tensors, Tokenizer.from_directory(directory), directory)
    if is_random_init_source(name):
        config, tensors, directory = load_random_init(name)
        return LoadedCheckpoint(name, config, tensors, _tokenizer_if_any(directory), directory)
    path = Path(source).expanduser()
    if path.is_dir():
        config, tensors = load_hf_directory(path)
        return LoadedCheckpoint(name, config, tensors, _tokenizer_if_any(path), path)
    if path.is_file() and path.suffix == ".gguf":
        config, tensors = load_gguf(path, tie_word_embeddings=tie_word_embeddings)
        return LoadedCheckpoint(name, config, tensors, tokenizer_from_gguf(open_gguf(path)[1]), path)
    raise CheckpointError(
        f"cannot load {name!r}: it is neither a model pack name ({', '.join(sorted(MODEL_PACKS))}), "
        "a Hugging Face checkpoint directory (config.json + safetensors) nor a .gguf file"
    )


def _tokenizer_if_any(directory: Path) -> Optional[Tokenizer]:
    return Tokenizer.from_directory(directory) if (directory / TOKENIZER_FILE).is_file() else None


def load_tokenizer(source: str | Path, *, cache_dir: Optional[Path] = None) -> Tokenizer:
    """Only the tokenizer (with chat template) of a pack name, checkpoint directory or .gguf
    file, without reading weights (a remote client needs only this)."""
    name = str(source)
    if name in MODEL_PACKS:
        return Tokenizer.from_directory(prepare_pack(name, cache_dir=cache_dir))
    if is_random_init_source(name):
        return Tokenizer.from_directory(random_init_directory(name))
    path = Path(source).expanduser()
    if path.is_dir():
        return Tokenizer.from_directory(path)
    if path.is_file() and path.suffix == ".gguf":
        return tokenizer_from_gguf(open_gguf(path)[1])
    raise CheckpointError(
        f"cannot find the tokenizer of {name!r}: give a model pack name ({', '.join(sorted(MODEL_PACKS))}), "
        "a checkpoint directory with tokenizer.json, or a .gguf file"
    )
