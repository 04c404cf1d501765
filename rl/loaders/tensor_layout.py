"""Selecting from a loaded checkpoint the tensors a `ModelConfig` needs, naming every missing
or mis-shaped one. The table of names and shapes is the model's own
(`rl.models.hf_weights.expected_hf_shapes`), so loader and model cannot disagree."""
from __future__ import annotations

from typing import Mapping

import numpy as np

from rl.loaders.errors import CheckpointError
from rl.models.config import ModelConfig
from rl.models.hf_weights import expected_hf_shapes

_MAX_NAMES_SHOWN = 8


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:_MAX_NAMES_SHOWN])
    more = len(names) - _MAX_NAMES_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def select_model_tensors(config: ModelConfig, tensors: Mapping[str, np.ndarray], source: str) -> dict[str, np.ndarray]:
    """The tensors the config needs, checked; raises naming every missing or mis-shaped one.

    Extra tensors (e.g. a tied checkpoint's stored `lm_head.weight`, rotary caches) are dropped.
    """
    expected = {name: tuple(shape) for name, shape in expected_hf_shapes(config).items()}
    missing = [name for name in expected if name not in tensors]
    misshaped = [
        f"{name} is {tuple(tensors[name].shape)}, expected {shape}"
        for name, shape in expected.items()
        if name in tensors and tuple(tensors[name].shape) != shape
    ]
    problems = []
    if missing:
        problems.append(f"missing tensors: {_listing(missing)}")
    if misshaped:
        problems.append(f"mis-shaped tensors: {_listing(misshaped)}")
    if problems:
        raise CheckpointError(
            f"checkpoint {source} does not match its config ({config.architecture}, {config.num_layers} layers, "
            f"hidden {config.hidden_size}): " + "; ".join(problems)
        )
    return {name: tensors[name] for name in expected}
