"""HumanEval graded by calls where its tests allow: which problems qualify, the asserts'
own `==` on the host, expected values from the canonical solution in the sandbox, and
the problems that stay in assert mode."""
from __future__ import annotations

from rl.evaluation.benchmark import EvalItem
from rl.evaluation.humaneval import (ASSERT_MARK, CALLS_MARK, HumanEvalBenchmark, call_tests,
                                     load_humaneval)
from sandbox.types import Limits

TASKS = {task.task_id: task for task in load_humaneval()}
LIMITS = Limits(wall_time_per_test_s=10.0, wall_time_per_job_s=10.0)


def _answer(task, body: str) -> str:
    return f"```python\n{task.prompt}{body}```"


def _grade(benchmark, task_ids, answer_for):
    items = [EvalItem(problem_id=task_id, messages=(), reference=task_id) for task_id in task_ids]
    return [grades[0] for grades in benchmark.grade(
        items, [[answer_for(TASKS[task_id])] for task_id in task_ids])]


def test_only_checks_made_of_literal_call_asserts_become_call_tests():
    gcd = call_tests(TASKS["HumanEval/13"])
    assert gcd.inputs[:2] == ((3, 7), (10, 15)) and gcd.expected[:2] == (1, 5)
    assert call_tests(TASKS["HumanEval/32"]) is None  # a loop over random polynomials
    assert call_tests(TASKS["HumanEval/38"]) is None  # random strings, a helper
    assert sum(call_tests(task) is not None for task in TASKS.values()) == 142


def test_canonical_solutions_pass_in_both_modes_and_22_problems_stay_in_assert_mode(sandbox):
    benchmark = HumanEvalBenchmark(list(TASKS.values()), sandbox, LIMITS)
    grades = _grade(benchmark, list(TASKS), lambda task: _answer(task, task.canonical_solution))
    assert [grade.reason for grade in grades if not grade.correct] == []
    in_assert = benchmark.assert_mode_problems()
    assert len(in_assert) == 22 and "HumanEval/32" in in_assert
    by_calls = [grade for task_id, grade in zip(TASKS, grades) if task_id not in in_assert]
    assert len(by_calls) == 142 and all(grade.reason.endswith(CALLS_MARK) for grade in by_calls)
    assert all(grade.reason.endswith(ASSERT_MARK)
               for task_id, grade in zip(TASKS, grades) if task_id in in_assert)


def test_calls_compare_as_the_asserts_do(sandbox):
    benchmark = HumanEvalBenchmark([TASKS["HumanEval/13"]], sandbox, LIMITS)

    def grade(body):
        return _grade(benchmark, ["HumanEval/13"], lambda task: _answer(task, body))[0]

    as_float = "    import math\n    return float(math.gcd(a, b))\n"  # 1.0 == 1, as `assert` says
    assert grade(as_float).correct and grade(as_float).reason == "passed" + CALLS_MARK
    wrong = grade("    return 1 if a == 3 else a\n")
    assert not wrong.correct
    assert wrong.reason.startswith("wrong_answer: test 2 of ") and "returned 10, expected 5" in wrong.reason
    raising = grade("    raise ValueError('no')\n")
    assert raising.reason.startswith("runtime_error: test 1 of ") and "ValueError" in raising.reason
    looping = _grade(HumanEvalBenchmark([TASKS["HumanEval/13"]], sandbox,
                                        Limits(wall_time_per_test_s=1.0, wall_time_per_job_s=5.0)),
                     ["HumanEval/13"], lambda task: _answer(task, "    while True:\n        pass\n"))[0]
    assert looping.reason.startswith("timeout: test 1 of ")


class _RunOnly:
    """A sandbox that runs jobs but offers no reference calls."""

    def __init__(self, executor):
        self._executor = executor

    def run(self, jobs):
        return self._executor.run(jobs)


def test_without_reference_calls_every_problem_stays_in_assert_mode(sandbox):
    ids = ["HumanEval/13", "HumanEval/32"]
    benchmark = HumanEvalBenchmark([TASKS[task_id] for task_id in ids], _RunOnly(sandbox), LIMITS)
    grades = _grade(benchmark, ids, lambda task: _answer(task, task.canonical_solution))
    assert all(grade.correct and grade.reason.endswith(ASSERT_MARK) for grade in grades)
    assert benchmark.assert_mode_problems() == ids
