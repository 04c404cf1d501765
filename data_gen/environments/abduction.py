"""Abduction: find an input that makes a given function return a given output.

The teacher writes `f` and one input; the gold output is `f` run twice on it in the
sandbox. The policy sees `f` (comments stripped) and the gold output and answers an
input as Python literals (arguments separated by commas); reward 1 iff `f(answer)`,
run in the sandbox, equals the gold output. Departure from the paper: the paper grades
by exact match with the teacher's input; that is `exact_input_match=True` here, while
the default accepts every input that produces the output (a correct answer is never
marked wrong). An `f` that hands back its arguments unchanged (the
one argument, or all of them as a tuple or list) is rejected as `trivial`.
"""
from __future__ import annotations

from data_gen.environments import answers, literals, prompts
from data_gen.environments.base import (Instance, ParsedAnswer, ProblemProvenance, Rejection, RewardPlan,
                                        RewardResult, ValidationPlan)
from data_gen.environments.deduction import plan_single_input_validation
from data_gen.environments.synthetic import TeacherWrittenEnvironment, normalised_code
from data_gen.records import Problem
from rl.generation.types import Message
from sandbox.compare import values_equal
from sandbox.types import FunctionTest, Job

POLICY_SYSTEM = "You are an expert Python programmer. Reason step by step, then give the final answer."

TEMPLATE = prompts.TeacherTemplate(
    task=("Write an ABDUCTION puzzle inspired by the snippet: a deterministic Python function `f` that does "
          "a small but non-trivial computation, and one input for it. A solver will be shown f and the "
          "output f returns on your input, and must find an input that produces that output. Do not write "
          "the output: it is computed by running f."),
    output_format=("Think briefly, then write exactly these fenced blocks:\n"
                   "```python\ndef f(...):\n    ...\n```\n"
                   "and one block with the arguments of the call as Python literals separated by commas, "
                   "for example:\n```input\n[3, 1, 2], 2\n```"),
)

TEMPLATE_V2 = prompts.TeacherTemplate(
    task=("Write an ABDUCTION puzzle inspired by the snippet: a deterministic Python function `f` that does a "
          "small but non-trivial computation, and one input for it. A solver sees f and the output f returns "
          "on your input, and must find an input that produces that output. " + prompts.V2_FUNCTION_RULES
          + " Do not write the output: it is computed by running f."),
    output_format=("Exactly these fenced blocks, nothing else: one ```python block defining f; then one "
                   "```input block " + prompts.V2_ARGUMENTS_TEXT + "."),
    system=prompts.SYSTEM_PROMPT_V2,
)
TEMPLATE_V3 = prompts.v3_single_input_template(
    "an ABDUCTION", ("A solver sees f and the output f returns on "
                    "your input, and must find an input that produces that output."),
    TEMPLATE_V2.output_format)
TEMPLATES = {"v1": TEMPLATE, "v2": TEMPLATE_V2, "v3": TEMPLATE_V3}


class AbductionEnvironment(TeacherWrittenEnvironment):
    name = "abduction"
    templates = TEMPLATES

    def __init__(self, config=None):
        super().__init__(config)
        self.exact_input_match = bool(self.config.exact_input_match)

    def plan_validation(self, instance: Instance, provenance: ProblemProvenance) -> "ValidationPlan | Rejection":
        return plan_single_input_validation(self, instance, provenance)

    def render_policy_prompt(self, problem: Problem) -> tuple[Message, ...]:
        user = (f"Here is a Python function:\n```python\n{normalised_code(problem.code or '')}\n```\n\n"
                f"Find an input for which f returns `{problem.outputs[0]}`.\n\n"
                "Reason step by step, then give the arguments of the call as Python literals separated by "
                "commas in a final ```input block.")
        return (Message("system", POLICY_SYSTEM), Message("user", user))

    def parse_answer(self, problem: Problem, text: str) -> ParsedAnswer:
        signature = answers.function_signature(problem.code or "", "f")
        return answers.extract_arguments(text, signature, labels=("input", "answer"),
                                         max_chars=self.max_literal_chars)

    def plan_reward(self, problem: Problem, answer: ParsedAnswer) -> RewardPlan:
        gold = literals.value_of(problem.outputs[0])
        if self.exact_input_match:
            teacher_input = literals.arguments_of(problem.inputs[0])
            same = values_equal(tuple(answer.value), teacher_input, rel_tol=self.float_rel_tol)
            return RewardPlan(decided=RewardResult(int(same), "passed" if same else "wrong_answer: not the input"))
        return RewardPlan(job=Job(mode="function", code=problem.code or "", entry_point="f",
                                  tests=(FunctionTest(tuple(answer.value), gold),), limits=self.reward_limits))
