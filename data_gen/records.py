"""The dataset records shared by data generation, the curriculum and the trainer.

Plain frozen dataclasses with `to_json`/`from_json` and a schema version. Values that
cross the sandbox (inputs, outputs, witnesses) are stored as Python literal text, so
tuples, sets and non-string dict keys survive JSON.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any, Mapping, Optional

SCHEMA_VERSION = 1

ENVIRONMENTS = ("induction", "deduction", "abduction", "fuzzing", "contest")
PROVENANCES = ("synthetic", "real")
RELATIONS = ("seed", "easier", "harder", "repair", "same", "chain_medium", "chain_easy")
ARMS = ("multi_turn", "single_turn")


class RejectionReason:
    """Reason codes for teacher outputs that do not become problems."""

    NO_CODE = "no_code"                      # no python block / no function f
    SYNTAX_ERROR = "syntax_error"            # f does not parse
    MISSING_FUNCTION = "missing_function"    # a required function (f, test_f, ...) absent
    NO_MESSAGE = "no_message"                # induction: no message block
    MESSAGE_LEAKS_CODE = "message_leaks_code"
    NO_INPUTS = "no_inputs"
    BAD_INPUT_LITERAL = "bad_input_literal"  # an input is not a Python literal
    TOO_FEW_INPUTS = "too_few_inputs"
    CONSTANT_OUTPUTS = "constant_outputs"
    RUNTIME_ERROR = "runtime_error"          # f raised on an input
    TIMEOUT = "timeout"
    NONDETERMINISTIC = "nondeterministic"
    NON_PLAIN_OUTPUT = "non_plain_output"    # output is not plain literal data
    NO_WITNESS = "no_witness"
    WITNESS_INVALID = "witness_invalid"      # witness fails pre_test_f or passes test_f
    TRUNCATED = "truncated"                  # output cut off before the blocks closed
    DUPLICATE = "duplicate"
    TRIVIAL = "trivial"
    CONTAMINATED = "contaminated"
    SANDBOX_ERROR = "sandbox_error"
    GENERATION_ERROR = "generation_error"    # the teacher call itself failed

    @classmethod
    def all(cls) -> tuple[str, ...]:
        return tuple(v for k, v in vars(cls).items() if k.isupper())


def _frozen_mapping(value: Optional[Mapping[str, Any]]) -> dict:
    return dict(value or {})


@dataclasses.dataclass(frozen=True)
class StudentStats:
    """How the student did: M attempts, passes, pass rate and an in-context summary."""

    attempts: int
    passes: int
    summary: str = ""

    @property
    def pass_rate(self) -> float:
        return self.passes / self.attempts if self.attempts else 0.0


@dataclasses.dataclass(frozen=True)
class TeacherMeta:
    """Which teacher wrote an instance, with which prompt, at what token cost."""

    model: str
    prompt_version: str
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclasses.dataclass(frozen=True)
class Problem:
    """One problem instance of an environment, synthetic or real.

    `inputs[i]` is the argument list of call i as literal text ("1, [2, 3]");
    `outputs[i]` its gold output as literal text (for stdio problems: stdin and
    expected stdout as plain strings). The first `num_visible` pairs are shown to
    the policy where the environment shows any. `extra` holds environment-specific
    literal fields (e.g. fuzzing's "witness").
    """

    id: str
    environment: str
    provenance: str
    statement: str
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    num_visible: int = 0
    code: Optional[str] = None
    entry_point: Optional[str] = None
    test_mode: str = "function"
    family_id: Optional[str] = None
    parent_id: Optional[str] = None
    turn: int = 0
    relation: str = "seed"
    seed_provenance: Optional[str] = None
    student: Optional[StudentStats] = None
    teacher: Optional[TeacherMeta] = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION

    @property
    def pass_rate(self) -> Optional[float]:
        return self.student.pass_rate if self.student else None

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Problem":
        data = json.loads(text)
        _check_schema(data, cls.__name__)
        student = data.get("student")
        teacher = data.get("teacher")
        return cls(
            **{
                **data,
                "inputs": tuple(data.get("inputs", ())),
                "outputs": tuple(data.get("outputs", ())),
                "student": StudentStats(**student) if student else None,
                "teacher": TeacherMeta(**teacher) if teacher else None,
                "extra": _frozen_mapping(data.get("extra")),
            }
        )


@dataclasses.dataclass(frozen=True)
class Attempt:
    """One teacher call and its outcome: a problem id, or a rejection reason."""

    attempt_id: str
    arm: str
    environment: str
    seed_id: str
    turn: int
    turn_kind: str
    raw_text: str
    problem_id: Optional[str] = None
    rejection_reason: Optional[str] = None
    diagnostic: str = ""
    duplicate_of: Optional[str] = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    schema_version: int = SCHEMA_VERSION

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Attempt":
        data = json.loads(text)
        _check_schema(data, cls.__name__)
        return cls(**data)


@dataclasses.dataclass(frozen=True)
class Family:
    """One seed's variants in one environment and arm: attempt and problem ids by turn."""

    family_id: str
    seed_id: str
    seed_provenance: str
    environment: str
    arm: str
    attempt_ids: tuple[str, ...] = ()
    problem_ids: tuple[Optional[str], ...] = ()
    schema_version: int = SCHEMA_VERSION

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Family":
        data = json.loads(text)
        _check_schema(data, cls.__name__)
        return cls(**{**data, "attempt_ids": tuple(data["attempt_ids"]),
                      "problem_ids": tuple(data["problem_ids"])})


@dataclasses.dataclass(frozen=True)
class Chain:
    """A stepping-stone chain: hard, medium and easy variants of one core task."""

    chain_id: str
    family_id: str
    hard_id: str
    medium_id: str
    easy_id: str
    schema_version: int = SCHEMA_VERSION

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Chain":
        data = json.loads(text)
        _check_schema(data, cls.__name__)
        return cls(**data)


def _check_schema(data: Mapping[str, Any], name: str) -> None:
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ValueError(f"{name} record has schema_version {version!r}; this code reads {SCHEMA_VERSION}")


def content_id(environment: str, *parts: str) -> str:
    """The content hash that names a problem: environment plus its normalised instance."""
    digest = hashlib.sha256(environment.encode())
    for part in parts:
        digest.update(b"\x00")
        digest.update(part.encode())
    return digest.hexdigest()[:16]
