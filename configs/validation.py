"""Checking a composed config before a run starts.

Owns the `ConfigError` type, the small range checks every section's `validate` uses
(`require`, `one_of`, `at_least`, `unit_interval`, `band`), and `validate_config`, which
walks a config and calls, for each section it holds, the `validate` function of the module
that defines that section (configs/sections/*.py, configs/default.py for `main`). Each
check names the field as the user would override it (`train.steps`, `teacher.backend`),
so the error reads as the fix. The command line (`rl.cli.run_with_config`) calls
`validate_config` after parsing and before anything is started.
"""
from __future__ import annotations

import importlib
from typing import Any, Iterable

import ml_collections


class ConfigError(ValueError):
    """A config value the user gave (or left) that no run can start with; the message
    names the field and what it accepts."""


def require(condition: bool, field: str, value: Any, wants: str) -> None:
    """Raise `ConfigError("field=value is not accepted: wants")` unless `condition` holds."""
    if not condition:
        raise ConfigError(f"{field}={value!r} is not accepted: {wants}")


def one_of(field: str, value: Any, choices: Iterable[str]) -> None:
    choices = tuple(choices)
    require(value in choices, field, value, f"use one of {', '.join(choices)}")


def at_least(field: str, value: Any, minimum: float) -> None:
    require(value >= minimum, field, value, f"out of range, it must be >= {minimum}")


def unit_interval(field: str, value: Any) -> None:
    require(0.0 <= value <= 1.0, field, value, "out of range, it must be between 0 and 1")


def band(field: str, value: Any) -> None:
    """A (low, high) pair inside [0, 1] with low <= high."""
    ok = (isinstance(value, (tuple, list)) and len(value) == 2
          and all(isinstance(v, (int, float)) for v in value) and 0.0 <= value[0] <= value[1] <= 1.0)
    require(ok, field, tuple(value) if isinstance(value, list) else value,
            "out of range, it must be a pair (low, high) with 0 <= low <= high <= 1")


# Section key in a composed config -> "module:function" that validates it. The teacher
# section's validator also serves the student and the evaluated policy (same fields).
VALIDATORS = {
    "train": "configs.sections.train:validate_train",
    "mesh": "configs.sections.train:validate_mesh",
    "grpo": "configs.sections.grpo:validate",
    "data_gen": "configs.sections.data_gen:validate",     # before curriculum, whose pass_rate_range may follow it
    "curriculum": "configs.sections.curriculum:validate",
    "checkpoint": "configs.sections.checkpoint:validate",
    "sandbox": "configs.sections.sandbox:validate",
    "environments": "configs.sections.environments:validate",
    "model": "configs.sections.model:validate",
    "teacher": "configs.sections.teacher:validate",
    "student": "configs.sections.teacher:validate",
    "policy": "configs.sections.teacher:validate",
    "eval": "configs.sections.eval:validate",
    "synthetic_change": "configs.sections.synthetic_change:validate",
    "main": "configs.default:validate_main",
}


def validate_config(config: ml_collections.ConfigDict) -> None:
    """Validate every known section `config` holds; raises the first `ConfigError`."""
    config = config.copy_and_resolve_references()
    for key, target in VALIDATORS.items():
        section = config.get(key)
        if not isinstance(section, ml_collections.ConfigDict):
            continue
        module_name, function_name = target.split(":")
        try:
            getattr(importlib.import_module(module_name), function_name)(section, key)
        except TypeError as error:   # e.g. a tuple override whose items are not numbers
            raise ConfigError(f"a field of the {key} section has a value of the wrong type ({error}); "
                              f"see configs/sections for what each field takes") from None
