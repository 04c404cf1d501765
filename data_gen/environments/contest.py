"""Contest: real problems (stdin/stdout programs or function calls), graded on all tests.

Problems come from `contest_loader` (LiveCodeBench's released format or a plain JSONL).
The policy writes a program in a ```python block; reward 1 iff it passes every public
and private test in the sandbox. Function-call problems (LiveCodeBench's "functional"
type, usually a `class Solution` method) get the configured `prelude` of common imports
prepended and a two-line entry shim appended that calls `Solution().<name>` when the
program defines `Solution`, else the top-level function `<name>`. There is no teacher
side: contest problems are real.
"""
from __future__ import annotations

from typing import Optional

import ml_collections

from configs.sections.environments import get_environments_config
from data_gen.environments import answers, literals
from data_gen.environments.base import Environment, ParsedAnswer, RewardPlan
from data_gen.environments.synthetic import limits_from_config
from data_gen.records import Problem
from rl.generation.types import Message
from sandbox.types import FunctionTest, Job, StdioTest

POLICY_SYSTEM = "You are an expert competitive programmer. Answer with one ```python block."
ENTRY_SHIM = "__contest_entry__"


def entry_shim(function_name: str) -> str:
    """Code appended to a function-call answer: one entry point for both answer shapes."""
    return (f"\n\ndef {ENTRY_SHIM}(*arguments):\n"
            f"    if 'Solution' in globals():\n"
            f"        return getattr(Solution(), {function_name!r})(*arguments)\n"
            f"    return globals()[{function_name!r}](*arguments)\n")


class ContestEnvironment(Environment):
    name = "contest"

    def __init__(self, config: Optional[ml_collections.ConfigDict] = None):
        root = config if config is not None else get_environments_config()
        self.config = root.contest
        self.reward_limits = limits_from_config(self.config.reward_limits)
        self.prelude = str(self.config.prelude)

    def render_policy_prompt(self, problem: Problem) -> tuple[Message, ...]:
        starter = str(problem.extra.get("starter_code", "") or "")
        if problem.test_mode == "function":
            code_part = (f"Complete this starter code; your solution is called as `{problem.entry_point}`:\n"
                         f"```python\n{starter.strip() or f'def {problem.entry_point}(...):'}\n```")
        else:
            code_part = "Read the input from standard input and write the answer to standard output."
        user = (f"{problem.statement.strip()}\n\n{code_part}\n\n"
                "Answer with the complete Python solution in one ```python block.")
        return (Message("system", POLICY_SYSTEM), Message("user", user))

    def parse_answer(self, problem: Problem, text: str) -> ParsedAnswer:
        return answers.extract_code(text)

    def plan_reward(self, problem: Problem, answer: ParsedAnswer) -> RewardPlan:
        if problem.test_mode == "function":
            tests = tuple(FunctionTest(literals.arguments_of(arguments), literals.value_of(output))
                          for arguments, output in zip(problem.inputs, problem.outputs))
            code = self.prelude + "\n" + answer.value + entry_shim(problem.entry_point or "")
            return RewardPlan(job=Job(mode="function", code=code, tests=tests, entry_point=ENTRY_SHIM,
                                      limits=self.reward_limits))
        tests = tuple(StdioTest(stdin, expected) for stdin, expected in zip(problem.inputs, problem.outputs))
        return RewardPlan(job=Job(mode="stdio", code=answer.value, tests=tests, limits=self.reward_limits))
