"""Induction: infer a hidden function from a hint and input/output pairs.

The teacher writes `f`, at least `min_inputs` inputs (default 5) and a message. Gold
outputs come from running `f` twice in the sandbox. The policy sees the message and the
first half (rounded up; `visible_fraction`) of the input/output pairs and writes `f`;
reward 1 iff its outputs equal the gold outputs on all inputs, hidden ones too.
Rejected as invalid: fewer distinct inputs than required, outputs all equal
(`constant_outputs`), and `f` handing back its arguments unchanged on every input (the one
argument, or all of them as a tuple or list: `trivial`).
"""
from __future__ import annotations

import math

from data_gen.environments import answers, literals, prompts
from data_gen.environments.base import (Instance, ParsedAnswer, ProblemProvenance, ReferenceCall, Rejection,
                                        RewardPlan, ValidationPlan)
from data_gen.environments.synthetic import TeacherWrittenEnvironment
from data_gen.environments.validation import gold_literals
from data_gen.records import Problem, RejectionReason as Reason
from rl.generation.types import Message
from sandbox.types import FunctionTest, Job

POLICY_SYSTEM = "You are an expert Python programmer. Answer with one ```python block."

TEMPLATE = prompts.TeacherTemplate(
    task=("Write an INDUCTION puzzle inspired by the snippet. Write a deterministic Python function `f` "
          "that does a small but non-trivial computation. Give at least {min_inputs} diverse inputs for f "
          "that together reveal what f does. Write a message: a short hint, in words only, for a solver "
          "who sees the message and some input/output pairs and must write f. The message must not "
          "contain code. Do not write the outputs: they are computed by running f."),
    output_format=("Think briefly, then write exactly these fenced blocks:\n"
                   "```python\ndef f(...):\n    ...\n```\n"
                   "then one block per input, holding the arguments of one call of f as Python literals "
                   "separated by commas, for example:\n"
                   "```input\n[3, 1, 2], 2\n```\n"
                   "(at least {min_inputs} input blocks), then\n"
                   "```message\nA one or two sentence hint, without code.\n```"),
)

TEMPLATE_V2 = prompts.TeacherTemplate(
    task=("Write an INDUCTION puzzle inspired by the snippet: a deterministic Python function `f` that does a "
          "small but non-trivial computation, {min_inputs} diverse inputs for f that together reveal what it "
          "does, and a hint message in words for a solver who sees the message and some input/output pairs and "
          "must write f. " + prompts.V2_FUNCTION_RULES + " Do not write the outputs: they are computed by "
          "running f."),
    output_format=("Exactly these fenced blocks, nothing else: one ```python block defining f; then "
                   "{min_inputs} ```input blocks, each " + prompts.V2_ARGUMENTS_TEXT + "; then one ```message "
                   "block with a one-sentence hint about what f does, in words, without code."),
    system=prompts.SYSTEM_PROMPT_V2,
)
TEMPLATE_V3 = prompts.TeacherTemplate(
    task=("Write an INDUCTION puzzle inspired by the snippet: " + prompts.V3_FUNCTION_TEXT + ", {min_inputs} "
          "different inputs for f whose outputs together reveal what it does, and a hint for a solver who "
          "sees the hint and some input/output pairs and must write f. " + prompts.V3_FUNCTION_RULES
          + " Every input gives each parameter a value of the same type, and f must run without error on "
          "all of them. Do not write the outputs: they are computed by running f."),
    output_format=("Exactly these fenced blocks, nothing else: one ```python block defining f; then "
                   "{min_inputs} ```input blocks, each " + prompts.V2_ARGUMENTS_TEXT + ", no two alike; then "
                   "one ```message block: one sentence, in your own words and without code, about what f does."),
    system=prompts.SYSTEM_PROMPT_V2,
)
TEMPLATES = {"v1": TEMPLATE, "v2": TEMPLATE_V2, "v3": TEMPLATE_V3}


class InductionEnvironment(TeacherWrittenEnvironment):
    name = "induction"
    needs_message = True
    templates = TEMPLATES

    def __init__(self, config=None):
        super().__init__(config)
        self.visible_fraction = float(self.config.visible_fraction)

    def num_visible(self, count: int) -> int:
        """How many input/output pairs the policy sees: ceil(visible_fraction * count)."""
        return min(count, max(1, math.ceil(self.visible_fraction * count - 1e-9)))

    def plan_validation(self, instance: Instance, provenance: ProblemProvenance) -> "ValidationPlan | Rejection":
        call = ReferenceCall(instance.code, ("f",), instance.inputs, self.validation_limits)

        def finish(first, second):
            golds = gold_literals("f", instance.input_literals, first, second)
            if isinstance(golds, Rejection):
                return golds
            if len(set(golds)) == 1:
                return Rejection(Reason.CONSTANT_OUTPUTS, f"f returns {golds[0][:60]} on every input; "
                                 "choose inputs whose outputs differ")
            if all(literals.echoes_arguments(args, gold) for args, gold in zip(instance.inputs, golds)):
                return Rejection(Reason.TRIVIAL, "f returns its arguments unchanged on every input")
            return self.build_problem(instance, provenance, statement=instance.message, outputs=tuple(golds),
                                      num_visible=self.num_visible(len(golds)))

        return ValidationPlan(call, finish)

    def render_policy_prompt(self, problem: Problem) -> tuple[Message, ...]:
        pairs = "\n".join(f"f({arguments}) == {output}" for arguments, output in
                          zip(problem.inputs[: problem.num_visible], problem.outputs[: problem.num_visible]))
        user = (f"Infer the Python function f from a hint and examples.\n\nHint: {problem.statement}\n\n"
                f"Examples:\n{pairs}\n\n"
                "Write f so that it gives these outputs and behaves the same on other inputs. "
                "Answer with the full definition of f in one ```python block.")
        return (Message("system", POLICY_SYSTEM), Message("user", user))

    def parse_answer(self, problem: Problem, text: str) -> ParsedAnswer:
        return answers.extract_code(text)

    def plan_reward(self, problem: Problem, answer: ParsedAnswer) -> RewardPlan:
        tests = tuple(FunctionTest(literals.arguments_of(arguments), literals.value_of(output))
                      for arguments, output in zip(problem.inputs, problem.outputs))
        return RewardPlan(job=Job(mode="function", code=answer.value, tests=tests, entry_point="f",
                                  limits=self.reward_limits))
