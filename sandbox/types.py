"""The sandbox's own records: limits, jobs, verdicts and reference-call outcomes.

Values cross the sandbox boundary as Python literal text (`repr` inside,
`ast.literal_eval` outside), so tuples, sets and non-string keys survive.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Literal, Optional

Mode = Literal["function", "stdio", "assert"]

STATUSES = (
    "passed",
    "wrong_answer",
    "runtime_error",
    "timeout",
    "memory",
    "output_limit",
    "sandbox_error",
)


@dataclasses.dataclass(frozen=True)
class Limits:
    """Resource limits for one job; every field has a safe default."""

    wall_time_per_test_s: float = 4.0
    wall_time_per_job_s: float = 30.0
    memory_mb: int = 512
    processes: int = 16
    file_size_mb: int = 8
    output_bytes: int = 1_000_000


@dataclasses.dataclass(frozen=True)
class FunctionTest:
    """One call of the entry point: positional arguments and the expected return value.

    `expected` never enters the sandbox; it is compared outside with `sandbox.compare`.
    """

    args: tuple[Any, ...]
    expected: Any = None


@dataclasses.dataclass(frozen=True)
class StdioTest:
    """One run of a whole program: its stdin and the expected stdout."""

    stdin: str
    expected: str = ""


@dataclasses.dataclass(frozen=True)
class Job:
    """Candidate code plus how to judge it.

    mode "function": call `entry_point(*test.args)` per `FunctionTest`.
    mode "stdio": run `code` as a program per `StdioTest`.
    mode "assert": run `code`, then `test_code`, then `check(<entry_point>)`;
      forgeable by the candidate, used only for benchmark compatibility (HumanEval).
    """

    mode: Mode
    code: str
    tests: tuple[FunctionTest | StdioTest, ...] = ()
    entry_point: Optional[str] = None
    test_code: Optional[str] = None
    limits: Limits = Limits()


@dataclasses.dataclass(frozen=True)
class Verdict:
    """The outcome of one job. Never an exception for bad candidate code."""

    status: str
    tests_passed: int
    tests_total: int
    details: tuple[str, ...] = ()
    wall_time_s: float = 0.0
    backend: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclasses.dataclass(frozen=True)
class CallOutcome:
    """One function's result on one input in a reference call.

    On success `value` is the returned value (parsed back from its literal text) and
    `literal` that text; on failure `error_type`/`error_message` name the exception
    (or "Timeout", "MemoryError", "NotPlainData" for values that are not literals).
    """

    ok: bool
    value: Any = None
    literal: Optional[str] = None
    error_type: Optional[str] = None
    error_message: Optional[str] = None
