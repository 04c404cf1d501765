"""The one interface every environment implements, and the small records it speaks in.

An `Environment` renders the policy's prompt, parses the policy's answer and plans how to
grade it (`plan_reward`: either a decided reward, or one sandbox `Job` whose passing
verdict means reward 1). A `SyntheticEnvironment` adds the teacher's side: prompts per turn
kind, a tolerant parser of the teacher's text into an `Instance`, and a validation plan
(reference calls run twice in the sandbox) that turns an instance into a `Problem` or a
`Rejection`. Executing the plans (one executor call for many answers) lives in
`grading.py` and `validation.py`, so no environment touches the executor itself.
"""
from __future__ import annotations

import abc
import dataclasses
import enum
from typing import Any, Callable, Mapping, Optional, Sequence

from data_gen.records import Problem, StudentStats
from rl.generation.types import Message
from sandbox.types import CallOutcome, Job, Limits, Verdict

TURN_KINDS = ("seed", "single_turn", "harder", "easier", "repair", "chain_medium", "chain_easy")
"""Teacher turn kinds. `seed` and `single_turn` write from a seed snippet (the latter for
the single-turn baseline arm); the rest rewrite the previous instance in context."""

RELATION_OF_TURN = {"seed": "seed", "single_turn": "seed", "harder": "harder", "easier": "easier",
                    "repair": "repair", "chain_medium": "chain_medium", "chain_easy": "chain_easy"}


@dataclasses.dataclass(frozen=True)
class Rejection:
    """Why a teacher output did not become a problem: a reason code and a diagnostic
    short enough to show the teacher in a repair turn."""

    reason: str
    diagnostic: str


@dataclasses.dataclass(frozen=True)
class Instance:
    """A parsed (not yet validated) teacher instance.

    `functions` maps each required function name to its source; `code` is the whole
    python block as written (all functions plus their helpers and imports). `inputs` are
    argument tuples already parsed from literals; `input_literals` their normalised text.
    """

    environment: str
    code: str
    inputs: tuple[tuple[Any, ...], ...]
    input_literals: tuple[str, ...]
    message: str = ""
    witness: Optional[tuple[Any, ...]] = None
    witness_literal: Optional[str] = None
    notes: tuple[str, ...] = ()   # tolerated irregularities, e.g. "unlabelled fence read as input"


@dataclasses.dataclass(frozen=True)
class TeacherContext:
    """What the teacher sees for one turn.

    `seed_text` is the seed snippet (always present: the first user turn is replayed).
    For follow-up turns `previous_text` is the teacher's own previous output and
    `previous_problem` the validated problem (None when it was rejected, in which case
    `rejection` says why). `student` carries the pass rate over M attempts and the summary.
    """

    seed_text: str
    previous_text: Optional[str] = None
    previous_problem: Optional[Problem] = None
    rejection: Optional[Rejection] = None
    student: Optional[StudentStats] = None


class AnswerFailure(enum.Enum):
    """Why a policy answer could not be read (reward 0, nothing runs). Code that acts on
    unreadable answers (the trainer's format penalty) reads this, never the message text."""

    EMPTY = "empty"                  # no text
    TOO_LONG = "too_long"            # over the answer length cap
    NO_CODE = "no_code"              # no python block that parses (program answers)
    NOT_A_LITERAL = "not_a_literal"  # no candidate reads as the literal(s) asked for


FORMAT_ERRORS = frozenset({AnswerFailure.EMPTY, AnswerFailure.NO_CODE, AnswerFailure.NOT_A_LITERAL})
"""The failures the format penalty applies to. An answer over the length cap is not one:
the message matching this replaces never counted it, and rewards stay as they were."""


@dataclasses.dataclass(frozen=True)
class ParsedAnswer:
    """A policy answer after parsing: well formed (`value` is the literal, an argument
    tuple for input-answers, or the code) or not (`failure` says why, `error` in words)."""

    value: Any = None
    error: Optional[str] = None
    failure: Optional[AnswerFailure] = None

    def __post_init__(self):
        if (self.error is None) != (self.failure is None):
            raise ValueError("a ParsedAnswer that failed has both a failure code and an error message")

    @classmethod
    def failed(cls, failure: AnswerFailure, error: str) -> "ParsedAnswer":
        return cls(error=error, failure=failure)

    @property
    def ok(self) -> bool:
        return self.failure is None


@dataclasses.dataclass(frozen=True)
class RewardResult:
    """A binary reward and a short reason ("passed", "not a literal", "wrong_answer: ...");
    `failure` is set when the answer could not be parsed."""

    reward: int
    reason: str
    failure: Optional[AnswerFailure] = None

    @property
    def well_formed(self) -> bool:
        """False only for the parse failures the format penalty applies to (FORMAT_ERRORS)."""
        return self.failure not in FORMAT_ERRORS


@dataclasses.dataclass(frozen=True)
class RewardPlan:
    """How to grade one answer: already `decided`, or run `job` (reward 1 iff it passes)."""

    decided: Optional[RewardResult] = None
    job: Optional[Job] = None

    def __post_init__(self):
        if (self.decided is None) == (self.job is None):
            raise ValueError("a RewardPlan has exactly one of decided or job")


@dataclasses.dataclass(frozen=True)
class ReferenceCall:
    """One sandboxed reference run: `functions` of `code` called on each of `inputs`."""

    code: str
    functions: tuple[str, ...]
    inputs: tuple[tuple[Any, ...], ...]
    limits: Limits


@dataclasses.dataclass(frozen=True)
class ValidationPlan:
    """A reference call to run twice (the second time on the inputs in reverse order, so
    hidden state carried between calls shows up as non-determinism) and how to finish.

    `finish(first, second)` gets per input (in the original order) the outcome dicts of
    both runs and returns a Problem or a Rejection.
    """

    call: ReferenceCall
    finish: Callable[[Sequence[Mapping[str, CallOutcome]], Sequence[Mapping[str, CallOutcome]]],
                     "Problem | Rejection"]


def verdict_reward(verdict: Verdict) -> RewardResult:
    """Reward 1 iff the verdict passed; otherwise its status and first detail."""
    if verdict.passed:
        return RewardResult(1, "passed")
    detail = f": {verdict.details[0]}" if verdict.details else ""
    return RewardResult(0, f"{verdict.status}{detail}"[:200])


class Environment(abc.ABC):
    """The policy side of an environment: prompt, answer parsing, reward plan."""

    name: str = ""
    synthetic: bool = False

    @abc.abstractmethod
    def render_policy_prompt(self, problem: Problem) -> tuple[Message, ...]:
        """The chat messages the policy sees for `problem`."""

    @abc.abstractmethod
    def parse_answer(self, problem: Problem, text: str) -> ParsedAnswer:
        """Parse the policy's raw text for `problem` (e.g. against f's signature); never raises."""

    @abc.abstractmethod
    def plan_reward(self, problem: Problem, answer: ParsedAnswer) -> RewardPlan:
        """Decide the reward outright or name the one sandbox job that decides it."""

    def plan_reward_for_text(self, problem: Problem, text: str) -> RewardPlan:
        answer = self.parse_answer(problem, text)
        if not answer.ok:
            return RewardPlan(decided=RewardResult(0, answer.error, answer.failure))
        return self.plan_reward(problem, answer)


class SyntheticEnvironment(Environment):
    """An environment whose problems a teacher writes: adds the teacher's side."""

    synthetic = True
    prompt_version: str = ""

    @abc.abstractmethod
    def render_teacher_prompt(self, turn_kind: str, context: TeacherContext) -> tuple[Message, ...]:
        """The chat messages for one teacher turn of kind `turn_kind` (see TURN_KINDS)."""

    @abc.abstractmethod
    def parse_teacher(self, text: str) -> "Instance | Rejection":
        """Parse the teacher's raw text into an instance; never raises."""

    @abc.abstractmethod
    def plan_validation(self, instance: Instance, provenance: "ProblemProvenance") -> "ValidationPlan | Rejection":
        """The sandbox reference run that validates `instance` and builds its Problem."""


@dataclasses.dataclass(frozen=True)
class ProblemProvenance:
    """Where a validated instance sits in its family; copied onto the Problem."""

    family_id: Optional[str] = None
    parent_id: Optional[str] = None
    turn: int = 0
    relation: str = "seed"
    seed_provenance: Optional[str] = None
    teacher_model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
