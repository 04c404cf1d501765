"""Versioned teacher prompt templates shared by the synthetic environments.

A template is the environment's task description and output format; this module turns
it into chat messages for each turn kind. The first turn (seed or single-turn) is
system + user. Every later turn replays that first exchange, with the teacher's previous
output as the assistant message, and adds a user message carrying the validation
outcome, the student's pass rate and summary, and the instruction for the turn, so the
teacher refines in context (no weights change). The version string goes into every
Problem's teacher metadata; change it whenever the wording changes.

Departure from the paper: the paper's exact prompt text is not public in the draft we
follow; these templates are written from its description (reasoning, then fenced
python/input/message blocks) and tuned only to be followed by small models.
"""
from __future__ import annotations

import dataclasses
from typing import Optional

from data_gen.environments.base import TURN_KINDS, TeacherContext
from data_gen.records import Problem
from rl.generation.types import Message

PROMPT_VERSIONS = ("v1", "v2", "v3")
"""v1: reasoning then blocks, with an example input literal. v2: blocks only, nothing a small
model can copy as a literal, every name imported or defined (for constrained decoding).
v3: v2 without the task's stock phrases that the 0.5B teacher copied into docstrings and
hints ("a small but non-trivial computation"), no docstrings or comments (they spent the
python block's token budget), and induction's inputs all different and of one type per
parameter (duplicate and type-mixed inputs were a third of its v2 rejections)."""

SYSTEM_PROMPT = (
    "You are an expert Python programmer who writes programming puzzles for training other "
    "programmers. You think briefly, then answer exactly in the requested format with fenced "
    "blocks. Use only the Python standard library. Functions must be deterministic, fast, "
    "and take and return plain data (numbers, strings, lists, tuples, dicts, sets, booleans, None)."
)

SYSTEM_PROMPT_V2 = (
    "You are an expert Python programmer who writes programming puzzles for training other "
    "programmers. Answer only with the requested fenced blocks. Use only the Python standard library. "
    "Functions must be deterministic, fast, and take and return plain data (numbers, strings, lists, "
    "tuples, dicts, sets, booleans, None)."
)

TARGET_BAND_TEXT = "between 35% and 65% of attempts"

_TURN_INSTRUCTIONS = {
    "harder": ("The student found it too easy. Write a HARDER variant of the same core task, so that "
               f"the student solves it in {TARGET_BAND_TEXT}. Change the logic, not just the names."),
    "easier": ("The student never solved it. Write an EASIER variant of the same core task, so that the "
               f"student solves it in {TARGET_BAND_TEXT}."),
    "repair": ("Your previous answer could not be used. Fix the problem named above and write the "
               "instance again, keeping the same core task."),
    "chain_medium": ("Write a variant of the same core task of MEDIUM difficulty: a stepping stone "
                     "towards this problem, clearly easier than it but not trivial."),
    "chain_easy": ("Write a variant of the same core task that is EASY: the first stepping stone, "
                   "which a beginner solves most of the time, but still not trivial."),
}


@dataclasses.dataclass(frozen=True)
class TeacherTemplate:
    """An environment's part of the teacher prompt: what to write and in what format."""

    task: str
    output_format: str
    system: str = SYSTEM_PROMPT

    def formatted(self, **values) -> "TeacherTemplate":
        """The template with its placeholders (e.g. {min_inputs}) filled in."""
        return TeacherTemplate(self.task.format(**values), self.output_format.format(**values), self.system)


V2_FUNCTION_RULES = ("Do not copy the snippet: write a new, small function, and import or define every name "
                     "it uses.")
V3_FUNCTION_RULES = ("Do not copy the snippet: write a new function of a few lines, with no docstring and no "
                     "comments, and import or define every name it uses.")
V3_FUNCTION_TEXT = "a deterministic Python function `f` that computes something specific from its arguments"


def v3_single_input_template(puzzle: str, solver: str, output_format: str) -> "TeacherTemplate":
    """The v3 template of an environment whose teacher writes f and one input (deduction,
    abduction): `puzzle` names it ("a DEDUCTION"), `solver` says what the solver sees and does."""
    return TeacherTemplate(
        task=(f"Write {puzzle} puzzle inspired by the snippet: {V3_FUNCTION_TEXT}, and one input for it. "
              f"{solver} {V3_FUNCTION_RULES} Do not write the output: it is computed by running f."),
        output_format=output_format, system=SYSTEM_PROMPT_V2)


V2_ARGUMENTS_TEXT = ("holding the arguments of one call of f: exactly one Python literal per parameter of f, "
                     "separated by commas (no variable names, no calls)")


def first_turn_text(template: TeacherTemplate, seed_text: str) -> str:
    """The user message of a first turn: the seed snippet, the task and the format."""
    return (
        "Here is a snippet of real code for inspiration:\n"
        f"```python\n{seed_text.strip()}\n```\n\n"
        f"{template.task}\n\n"
        f"Answer format:\n{template.output_format}"
    )


def feedback_text(context: TeacherContext) -> str:
    """What happened to the previous instance: rejection diagnostic or student results."""
    parts = []
    if context.rejection is not None:
        parts.append(f"Validation of your previous answer failed: {context.rejection.reason}: "
                     f"{context.rejection.diagnostic}")
    elif context.previous_problem is not None:
        parts.append("Your previous problem was valid.")
    student = context.student or (context.previous_problem.student if context.previous_problem else None)
    if student is not None and context.rejection is None:
        parts.append(f"The student solved it in {student.passes} of {student.attempts} attempts "
                     f"(pass rate {student.pass_rate:.2f}).")
        if student.summary.strip():
            parts.append(f"Summary of the student's attempts:\n{student.summary.strip()}")
    return "\n\n".join(parts)


def render_teacher_messages(template: TeacherTemplate, turn_kind: str, context: TeacherContext,
                            previous_instance_text: Optional[str] = None) -> tuple[Message, ...]:
    """Chat messages for one teacher turn (see the module docstring for their shape)."""
    if turn_kind not in TURN_KINDS:
        raise ValueError(f"unknown teacher turn kind {turn_kind!r}; known: {', '.join(TURN_KINDS)}")
    first = (Message("system", template.system), Message("user", first_turn_text(template, context.seed_text)))
    if turn_kind in ("seed", "single_turn"):
        return first
    previous = context.previous_text or previous_instance_text
    if not previous:
        raise ValueError(f"a {turn_kind!r} turn needs the previous teacher output or problem in its context")
    instruction = "\n\n".join(p for p in (feedback_text(context), _TURN_INSTRUCTIONS[turn_kind],
                                          f"Answer format:\n{template.output_format}") if p)
    return first + (Message("assistant", previous), Message("user", instruction))


def fenced(label: str, text: str) -> str:
    return f"```{label}\n{text.strip()}\n```"


def describe_problem_for_teacher(problem: Problem) -> str:
    """A stored problem in the teacher's own format (for chains built from stored problems)."""
    parts = [fenced("python", problem.code or "")]
    parts += [fenced("input", literal) for literal in problem.inputs]
    if problem.extra.get("witness"):
        parts.append(fenced("witness", problem.extra["witness"]))
    if problem.statement:
        parts.append(fenced("message", problem.statement))
    return "\n".join(parts)
