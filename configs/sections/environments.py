"""The `environments` section: per-environment limits and options (the paper's Table 1).

Symbols: for induction the teacher writes f, at least `min_inputs` inputs (default 5) and
a message; the policy sees the first `ceil(visible_fraction * n)` input/output pairs
(the paper: the first half, rounded up) and must match all n gold outputs. Gold outputs
are f run twice in the sandbox under `validation_limits`; policy answers run under
`reward_limits`. `float_rel_tol` is the comparator's relative tolerance for floats.
Abduction: `exact_input_match` asks for the teacher's own input (the paper's grading)
instead of any input with f(input) equal to the gold output (the default here).
Contest: real problems graded on all tests; `prelude` is prepended to function-call
programs (the usual imports of LiveCodeBench's grader). `prompt_version` names the
teacher templates (data_gen/environments/prompts.py).
"""
from __future__ import annotations

import ml_collections

from configs.validation import at_least, require

ENVIRONMENT_NAMES = ("induction", "deduction", "abduction", "fuzzing", "contest")


def _limits(wall_time_per_test_s: float, wall_time_per_job_s: float, memory_mb: int) -> ml_collections.ConfigDict:
    limits = ml_collections.ConfigDict()
    limits.wall_time_per_test_s = wall_time_per_test_s
    limits.wall_time_per_job_s = wall_time_per_job_s
    limits.memory_mb = memory_mb
    limits.output_bytes = 100_000
    return limits


def _synthetic(min_inputs: int, max_inputs: int) -> ml_collections.ConfigDict:
    section = ml_collections.ConfigDict()
    section.min_inputs = min_inputs
    section.max_inputs = max_inputs
    section.validation_limits = _limits(2.0, 20.0, 512)
    section.reward_limits = _limits(2.0, 20.0, 512)
    return section


def get_environments_config() -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.prompt_version = "v1"
    config.float_rel_tol = 1e-6
    config.max_literal_chars = 20_000    # longest input/output literal read from a model

    config.induction = _synthetic(min_inputs=5, max_inputs=10)
    config.induction.visible_fraction = 0.5

    config.deduction = _synthetic(min_inputs=1, max_inputs=1)
    config.abduction = _synthetic(min_inputs=1, max_inputs=1)
    config.abduction.exact_input_match = False
    config.fuzzing = _synthetic(min_inputs=0, max_inputs=0)

    config.contest = ml_collections.ConfigDict()
    config.contest.reward_limits = _limits(6.0, 60.0, 1024)
    config.contest.prelude = ("from typing import *\nimport collections, functools, heapq, itertools, "
                              "math, bisect, string, re\nfrom collections import *\n")
    return config


def validate(section: ml_collections.ConfigDict, name: str = "environments") -> None:
    require(section.float_rel_tol >= 0, f"{name}.float_rel_tol", section.float_rel_tol, "out of range, it must be >= 0")
    at_least(f"{name}.max_literal_chars", section.max_literal_chars, 1)
    for environment in ("induction", "deduction", "abduction", "fuzzing"):
        sub = section[environment]
        at_least(f"{name}.{environment}.min_inputs", sub.min_inputs, 0)
        require(sub.max_inputs >= sub.min_inputs, f"{name}.{environment}.max_inputs", sub.max_inputs,
                f"out of range, it must be >= {name}.{environment}.min_inputs ({sub.min_inputs})")
        for limits in ("validation_limits", "reward_limits"):
            for field in ("wall_time_per_test_s", "wall_time_per_job_s"):
                require(sub[limits][field] > 0, f"{name}.{environment}.{limits}.{field}", sub[limits][field],
                        "out of range, it must be > 0")
            at_least(f"{name}.{environment}.{limits}.memory_mb", sub[limits].memory_mb, 1)
    fraction = section.induction.visible_fraction
    require(0.0 < fraction <= 1.0, f"{name}.induction.visible_fraction", fraction, "out of range, it must be in (0, 1]")
