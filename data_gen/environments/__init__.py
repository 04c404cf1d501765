"""The environments: induction, deduction, abduction, fuzzing (teacher-written) and
contest (real problems), one module each behind the `Environment` interface of `base`.

Callers pick an environment by name and never special-case one:

    environment = make_environment("induction")          # or with a config section
    messages = environment.render_teacher_prompt("seed", TeacherContext(seed_text=...))
    instance = environment.parse_teacher(text)           # Instance or Rejection
    problem = validate(environment, instance, executor)  # Problem or Rejection
    rewards = grade([GradingItem(environment, problem, answer_text), ...], executor)

Adding an environment is one new module registered here (see docs/extending.md).
"""
from __future__ import annotations

from typing import Optional

import ml_collections

from data_gen.environments.abduction import AbductionEnvironment
from data_gen.environments.base import (FORMAT_ERRORS, TURN_KINDS, AnswerFailure, Environment, Instance, ParsedAnswer,
                                        ProblemProvenance, Rejection, RewardPlan, RewardResult, SyntheticEnvironment,
                                        TeacherContext)
from data_gen.environments.contest import ContestEnvironment
from data_gen.environments.deduction import DeductionEnvironment
from data_gen.environments.fuzzing import FuzzingEnvironment
from data_gen.environments.grading import GradingItem, grade, grade_async, reward
from data_gen.environments.induction import InductionEnvironment
from data_gen.environments.validation import validate, validate_async, validate_many
from configs.registry import Registry

ENVIRONMENT_REGISTRY: Registry = Registry("environment")
for _environment in (InductionEnvironment, DeductionEnvironment, AbductionEnvironment, FuzzingEnvironment,
                     ContestEnvironment):
    ENVIRONMENT_REGISTRY.register(_environment.name)(_environment)


def make_environment(name: str, config: Optional[ml_collections.ConfigDict] = None) -> Environment:
    """The environment registered as `name`, configured by the `environments` config section."""
    return ENVIRONMENT_REGISTRY.get(name)(config)


def synthetic_environment_names() -> tuple[str, ...]:
    """The environments a teacher writes problems for."""
    return tuple(name for name in ENVIRONMENT_REGISTRY.names() if ENVIRONMENT_REGISTRY.get(name).synthetic)


__all__ = [
    "ENVIRONMENT_REGISTRY", "FORMAT_ERRORS", "TURN_KINDS", "AnswerFailure", "Environment", "GradingItem", "Instance",
    "ParsedAnswer", "ProblemProvenance", "Rejection", "RewardPlan", "RewardResult", "SyntheticEnvironment",
    "TeacherContext",
    "grade", "grade_async", "make_environment", "reward", "synthetic_environment_names", "validate",
    "validate_async", "validate_many",
]
