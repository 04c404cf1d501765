"""Random weights in a real model's shape: `random-init:DIR` as a model source.

DIR holds a Hugging Face config.json (and, for anything that tokenizes, tokenizer.json
with tokenizer_config.json) but no weights. `load_checkpoint("random-init:DIR")` returns
tensors of exactly the shapes the config asks for: normal(0, 0.02) matrices and
embeddings, ones for RMSNorm scales, zeros for biases, the same for a given seed.

For throughput and memory work where the weights' values do not matter and staging the
real ones would cost more than the measurement: a GPU lent for minutes gets the 0.5B
model's shape from a 12 MB folder instead of a 2 GB checkpoint. Nothing trained or
evaluated on such weights means anything; every figure made with them must say so.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from rl.loaders.errors import CheckpointError
from rl.loaders.hf_directory import read_model_config
from rl.models.config import ModelConfig
from rl.models.hf_weights import expected_hf_shapes

PREFIX = "random-init:"
INIT_STD = 0.02


def is_random_init_source(source: str) -> bool:
    return str(source).startswith(PREFIX)


def random_init_directory(source: str) -> Path:
    directory = Path(str(source)[len(PREFIX):]).expanduser()
    if not (directory / "config.json").is_file():
        raise CheckpointError(f"{source!r}: {directory} has no config.json (random-init needs the model's shape)")
    return directory


def random_hf_tensors(config: ModelConfig, seed: int = 0) -> dict[str, np.ndarray]:
    """One float32 array per tensor the config needs, under its Hugging Face name."""
    rng = np.random.default_rng(seed)
    tensors = {}
    for name, shape in expected_hf_shapes(config).items():
        if name.endswith("norm.weight"):
            tensors[name] = np.ones(shape, np.float32)
        elif name.endswith(".bias"):
            tensors[name] = np.zeros(shape, np.float32)
        else:
            array = rng.standard_normal(shape, dtype=np.float32)
            array *= INIT_STD
            tensors[name] = array
    return tensors


def load_random_init(source: str, seed: int = 0) -> tuple[ModelConfig, dict[str, np.ndarray], Path]:
    directory = random_init_directory(source)
    config = read_model_config(directory)
    return config, random_hf_tensors(config, seed), directory
