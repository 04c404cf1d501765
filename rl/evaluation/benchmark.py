"""What every benchmark is: a loader of evaluation items plus a grader of completions.

An `EvalItem` carries the chat prompt (with the benchmark's format instructions), the
splits the problem belongs to and the benchmark's own grading reference. Benchmarks are
built by name from the `eval` config section through `BENCHMARKS`, so the runner and the
command line never special-case one.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Optional, Protocol, Sequence

import ml_collections

from rl.generation.types import Message
from configs.registry import Registry
from sandbox.types import Job, Verdict

ALL_SPLIT = "all"


@dataclasses.dataclass(frozen=True)
class EvalItem:
    """One problem as the policy sees it, with what its grader needs; `stop` ends the
    answer early where the rest is known to be useless (e.g. prose after the code block)."""

    problem_id: str
    messages: tuple[Message, ...]
    splits: tuple[str, ...] = (ALL_SPLIT,)
    reference: Any = None
    stop: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Grade:
    """The verdict on one completion: correct or not, and a short reason."""

    correct: bool
    reason: str = ""


class JobRunner(Protocol):
    """The part of `sandbox.executor.SandboxExecutor` that graders use."""

    def run(self, jobs: Sequence[Job]) -> list[Verdict]: ...


class Benchmark(Protocol):
    """A loader plus a grader; `grade` takes all completions of a batch of items at once
    so that sandbox jobs run in parallel."""

    name: str

    def items(self) -> list[EvalItem]: ...

    def grade(self, items: Sequence[EvalItem], completions: Sequence[Sequence[str]]) -> list[list[Grade]]: ...


@dataclasses.dataclass(frozen=True)
class GradingResources:
    """What benchmarks may need to grade: the sandbox (None for benchmarks that run no code)
    and the `environments` config section (None: the environments' defaults)."""

    sandbox: Optional[JobRunner] = None
    environments_config: Optional[ml_collections.ConfigDict] = None

    def require_sandbox(self, benchmark: str) -> JobRunner:
        if self.sandbox is None:
            raise ValueError(f"benchmark {benchmark!r} runs code and needs a sandbox executor")
        return self.sandbox


BenchmarkFactory = Callable[[ml_collections.ConfigDict, GradingResources], Benchmark]

BENCHMARKS: Registry[BenchmarkFactory] = Registry("benchmark")


def chat(system: Optional[str], user: str) -> tuple[Message, ...]:
    """A chat prompt of an optional system message and one user message."""
    messages = [Message("system", system)] if system else []
    return tuple(messages + [Message("user", user)])
