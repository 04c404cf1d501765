"""What the four teacher-written environments share: config, limits, the teacher's
prompt and parse, and building the validated `Problem` record.

An environment module subclasses `TeacherWrittenEnvironment`, sets its name, template
and input requirements, and writes the parts that differ: its validation finish, its
policy prompt, answer parsing and reward plan.
"""
from __future__ import annotations

import ast
from typing import Any, Mapping, Optional

import ml_collections

from data_gen.environments import model_text
from configs.sections.environments import get_environments_config
from data_gen.environments import prompts
from data_gen.environments.base import (Instance, ProblemProvenance, Rejection, SyntheticEnvironment,
                                        TeacherContext)
from data_gen.environments.instance_reader import InstanceRequirements, read_instance
from data_gen.environments.skeletons import OutputSkeleton
from data_gen.records import Problem, TeacherMeta, content_id
from rl.generation.types import Message
from sandbox.types import Limits


def limits_from_config(section: ml_collections.ConfigDict) -> Limits:
    """A sandbox `Limits` from a config limits section (unset fields keep their defaults)."""
    known = {field for field in Limits.__dataclass_fields__}
    values = {key: value for key, value in dict(section).items() if key in known}
    return Limits(**values)


def normalised_code(code: str) -> str:
    """Code without comments or formatting differences (for content ids and dedup)."""
    try:
        return ast.unparse(model_text.parse(code))
    except (SyntaxError, ValueError, RecursionError):
        return code.strip()


class TeacherWrittenEnvironment(SyntheticEnvironment):
    """Shared machinery of induction, deduction, abduction and fuzzing."""

    templates: Mapping[str, prompts.TeacherTemplate]   # by prompt version
    required_functions: tuple[str, ...] = ("f",)
    input_function: str = "f"
    needs_message: bool = False
    needs_witness: bool = False

    def __init__(self, config: Optional[ml_collections.ConfigDict] = None):
        root = config if config is not None else get_environments_config()
        self.root_config = root
        self.config = root[self.name]
        version = str(root.prompt_version)
        if version not in self.templates:
            raise ValueError(f"unknown environments.prompt_version {version!r}; known: {', '.join(self.templates)}")
        self.template = self.templates[version].formatted(min_inputs=int(self.config.min_inputs))
        self.prompt_version = f"{self.name}-{version}"
        self.float_rel_tol = float(root.float_rel_tol)
        self.max_literal_chars = int(root.max_literal_chars)
        self.validation_limits = limits_from_config(self.config.validation_limits)
        self.reward_limits = limits_from_config(self.config.reward_limits)
        self.requirements = InstanceRequirements(
            environment=self.name,
            functions=self.required_functions,
            input_function=self.input_function,
            min_inputs=int(self.config.min_inputs),
            max_inputs=max(int(self.config.max_inputs), int(self.config.min_inputs)),
            needs_message=self.needs_message,
            needs_witness=self.needs_witness,
            max_literal_chars=self.max_literal_chars,
        )

    # Teacher side -----------------------------------------------------------------

    @property
    def skeleton(self) -> OutputSkeleton:
        """The reply's frame for structured decoding, from the same requirements the parser checks."""
        return OutputSkeleton(
            functions=self.required_functions, input_function=self.input_function,
            input_label="witness" if self.needs_witness else "input",
            input_count=1 if self.needs_witness else self.requirements.min_inputs,
            message=self.needs_message)

    def render_teacher_prompt(self, turn_kind: str, context: TeacherContext) -> tuple[Message, ...]:
        previous = (prompts.describe_problem_for_teacher(context.previous_problem)
                    if context.previous_problem is not None else None)
        return prompts.render_teacher_messages(self.template, turn_kind, context, previous)

    def parse_teacher(self, text: str) -> "Instance | Rejection":
        return read_instance(text, self.requirements)

    # Building the record ----------------------------------------------------------

    def build_problem(self, instance: Instance, provenance: ProblemProvenance, *, statement: str,
                      outputs: tuple[str, ...] = (), num_visible: int = 0,
                      extra: Optional[Mapping[str, Any]] = None) -> Problem:
        """The validated Problem, named by the content hash of its normalised instance."""
        identity = content_id(self.name, normalised_code(instance.code), *instance.input_literals,
                              instance.message, instance.witness_literal or "")
        return Problem(
            id=identity,
            environment=self.name,
            provenance="synthetic",
            statement=statement,
            inputs=instance.input_literals,
            outputs=outputs,
            num_visible=num_visible,
            code=instance.code,
            entry_point="f",
            test_mode="function",
            family_id=provenance.family_id,
            parent_id=provenance.parent_id,
            turn=provenance.turn,
            relation=provenance.relation,
            seed_provenance=provenance.seed_provenance,
            teacher=TeacherMeta(provenance.teacher_model, self.prompt_version,
                                provenance.prompt_tokens, provenance.completion_tokens),
            extra=dict(extra or {}),
        )
