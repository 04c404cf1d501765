"""A benchmark over `Problem` records graded by their environments: the policy prompt and
the reward are each environment's own (data_gen/environments), so evaluation scores
exactly what training rewards. Used by LiveCodeBench (the `contest` environment) and the
synthetic held-out split (induction, deduction, abduction, fuzzing).
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

from data_gen.environments import Environment, GradingItem, grade
from data_gen.records import Problem
from rl.evaluation.benchmark import EvalItem, Grade, JobRunner


class EnvironmentBenchmark:
    """Problems of one or more environments; `splits_of(problem)` names each problem's splits."""

    def __init__(self, name: str, problems: Sequence[Problem], environments: Mapping[str, Environment],
                 sandbox: JobRunner, splits_of: Callable[[Problem], tuple[str, ...]]):
        missing = sorted({p.environment for p in problems} - set(environments))
        if missing:
            raise ValueError(f"benchmark {name!r} has problems of environments {missing} but no environment "
                             "object for them")
        self.name = name
        self._problems = {problem.id: problem for problem in problems}
        self._environments = environments
        self._sandbox = sandbox
        self._splits_of = splits_of

    def items(self) -> list[EvalItem]:
        return [EvalItem(problem_id=problem.id,
                         messages=self._environments[problem.environment].render_policy_prompt(problem),
                         splits=self._splits_of(problem), reference=problem.id)
                for problem in self._problems.values()]

    def grade(self, items: Sequence[EvalItem], completions: Sequence[Sequence[str]]) -> list[list[Grade]]:
        grading_items, owners = [], []
        for index, (item, answers) in enumerate(zip(items, completions)):
            problem = self._problems[item.reference]
            environment = self._environments[problem.environment]
            for answer in answers:
                grading_items.append(GradingItem(environment, problem, answer))
                owners.append(index)
        rewards = grade(grading_items, self._sandbox) if grading_items else []
        grades: list[list[Grade]] = [[] for _ in items]
        for owner, result in zip(owners, rewards):
            grades[owner].append(Grade(correct=result.reward == 1, reason=result.reason))
        return grades
