"""Deduction: predict the output of a given function on a given input.

The teacher writes `f` and one input; the gold output comes from running `f` twice in
the sandbox. The policy sees `f` (comments stripped) and the input and answers the
output as a Python literal; reward 1 iff it equals the gold output (the one comparator,
floats within `float_rel_tol`). The comparison runs outside the sandbox: the answer is
plain data and nothing of it executes. An `f` that hands back its arguments unchanged (the
one argument, or all of them as a tuple or list) is rejected as `trivial`. If the teacher gives several inputs, the first is used.
"""
from __future__ import annotations

import dataclasses

from data_gen.environments import answers, literals, prompts
from data_gen.environments.base import (Instance, ParsedAnswer, ProblemProvenance, ReferenceCall, Rejection,
                                        RewardPlan, RewardResult, ValidationPlan)
from data_gen.environments.synthetic import TeacherWrittenEnvironment, normalised_code
from data_gen.environments.validation import gold_literals
from data_gen.records import Problem, RejectionReason as Reason
from rl.generation.types import Message
from sandbox.compare import values_equal

POLICY_SYSTEM = "You are an expert Python programmer. Reason step by step, then give the final answer."

TEMPLATE = prompts.TeacherTemplate(
    task=("Write a DEDUCTION puzzle inspired by the snippet: a deterministic Python function `f` that does "
          "a small but non-trivial computation, and one input for it. A solver will be shown f and the "
          "input and must predict the output by reasoning, without running the code. Do not write the "
          "output: it is computed by running f."),
    output_format=("Think briefly, then write exactly these fenced blocks:\n"
                   "```python\ndef f(...):\n    ...\n```\n"
                   "and one block with the arguments of the call as Python literals separated by commas, "
                   "for example:\n```input\n[3, 1, 2], 2\n```"),
)

TEMPLATE_V2 = prompts.TeacherTemplate(
    task=("Write a DEDUCTION puzzle inspired by the snippet: a deterministic Python function `f` that does a "
          "small but non-trivial computation, and one input for it. A solver sees f and the input and must "
          "predict the output by reasoning, without running the code. " + prompts.V2_FUNCTION_RULES
          + " Do not write the output: it is computed by running f."),
    output_format=("Exactly these fenced blocks, nothing else: one ```python block defining f; then one "
                   "```input block " + prompts.V2_ARGUMENTS_TEXT + "."),
    system=prompts.SYSTEM_PROMPT_V2,
)
TEMPLATE_V3 = prompts.v3_single_input_template(
    "a DEDUCTION", ("A solver sees f and the input and must "
                    "predict the output by reasoning, without running the code."),
    TEMPLATE_V2.output_format)
TEMPLATES = {"v1": TEMPLATE, "v2": TEMPLATE_V2, "v3": TEMPLATE_V3}


def plan_single_input_validation(environment, instance: Instance,
                                  provenance: ProblemProvenance) -> "ValidationPlan | Rejection":
    """Validation shared by deduction and abduction: f run (twice) on the one input; the
    gold output is its plain-data result; an f that hands back its arguments is trivial."""
    instance = first_input_only(instance)
    call = ReferenceCall(instance.code, ("f",), instance.inputs, environment.validation_limits)

    def finish(first, second):
        golds = gold_literals("f", instance.input_literals, first, second)
        if isinstance(golds, Rejection):
            return golds
        if literals.echoes_arguments(instance.inputs[0], golds[0]):
            return Rejection(Reason.TRIVIAL, "f returns its arguments unchanged")
        return environment.build_problem(instance, provenance, statement="", outputs=(golds[0],))

    return ValidationPlan(call, finish)


class DeductionEnvironment(TeacherWrittenEnvironment):
    name = "deduction"
    templates = TEMPLATES

    def plan_validation(self, instance: Instance, provenance: ProblemProvenance) -> "ValidationPlan | Rejection":
        return plan_single_input_validation(self, instance, provenance)

    def render_policy_prompt(self, problem: Problem) -> tuple[Message, ...]:
        user = (f"Here is a Python function:\n```python\n{normalised_code(problem.code or '')}\n```\n\n"
                f"What does `f({problem.inputs[0]})` return?\n\n"
                "Reason step by step, then give the returned value as a Python literal in a final "
                "```output block.")
        return (Message("system", POLICY_SYSTEM), Message("user", user))

    def parse_answer(self, problem: Problem, text: str) -> ParsedAnswer:
        return answers.extract_value(text, labels=("output", "answer"), max_chars=self.max_literal_chars)

    def plan_reward(self, problem: Problem, answer: ParsedAnswer) -> RewardPlan:
        gold = literals.value_of(problem.outputs[0])
        if values_equal(answer.value, gold, rel_tol=self.float_rel_tol):
            return RewardPlan(decided=RewardResult(1, "passed"))
        return RewardPlan(decided=RewardResult(0, "wrong_answer: the output differs"))


def first_input_only(instance: Instance) -> Instance:
    """The instance with only its first input (deduction and abduction use one)."""
    if len(instance.inputs) <= 1:
        return instance
    return dataclasses.replace(instance, inputs=instance.inputs[:1], input_literals=instance.input_literals[:1],
                               notes=instance.notes + (f"kept the first of {len(instance.inputs)} inputs",))
