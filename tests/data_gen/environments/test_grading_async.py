"""Batched and async grading and validation give the same answers as one-at-a-time calls,
and an executor failure becomes reward 0 / a sandbox_error rejection, never an exception."""
import asyncio

import pytest

from data_gen.environments import GradingItem, grade, grade_async, make_environment, validate_async, validate_many
from data_gen.environments.base import Rejection
from data_gen.records import Problem, RejectionReason

from tests.data_gen.environments.teacher_texts import teacher_text

GOOD = teacher_text("def f(x):\n    return x * x + 1\n", ["1", "2", "3", "4", "5"], "Square-ish.")
CONSTANT = teacher_text("def f(x):\n    return 0\n", ["1", "2", "3", "4", "5"], "Zero.")


class BrokenExecutor:
    """An executor whose every call fails (as if the sandbox pool died)."""

    def run(self, jobs):
        raise RuntimeError("pool is gone")

    async def run_async(self, jobs):
        raise RuntimeError("pool is gone")

    def submit_reference(self, *args, **kwargs):
        raise RuntimeError("pool is gone")

    async def reference_async(self, *args, **kwargs):
        raise RuntimeError("pool is gone")


@pytest.fixture(scope="module")
def environment():
    return make_environment("induction")


def test_validate_many_matches_single_validation(environment, executor):
    results = validate_many(environment, [environment.parse_teacher(t) for t in (GOOD, CONSTANT, GOOD)], executor)
    assert isinstance(results[0], Problem) and results[0] == results[2]
    assert results[0].outputs == tuple(str(x * x + 1) for x in range(1, 6))
    assert isinstance(results[1], Rejection) and results[1].reason == RejectionReason.CONSTANT_OUTPUTS


def test_async_twins_agree_with_sync(environment, executor):
    instance = environment.parse_teacher(GOOD)
    problem = asyncio.run(validate_async(environment, instance, executor))
    assert problem == validate_many(environment, [instance], executor)[0]
    answers = ["```python\ndef f(x):\n    return x ** 2 + 1\n```", "```python\ndef f(x):\n    return x\n```"]
    items = [GradingItem(environment, problem, text) for text in answers]
    assert asyncio.run(grade_async(items, executor)) == grade(items, executor)
    assert [r.reward for r in grade(items, executor)] == [1, 0]


def test_executor_failure_is_a_reward_of_zero_and_a_sandbox_error(environment, executor):
    problem = validate_many(environment, [environment.parse_teacher(GOOD)], executor)[0]
    items = [GradingItem(environment, problem, "```python\ndef f(x):\n    return x * x + 1\n```")]
    for result in (grade(items, BrokenExecutor())[0], asyncio.run(grade_async(items, BrokenExecutor()))[0]):
        assert result.reward == 0 and result.reason.startswith("sandbox_error")
    instance = environment.parse_teacher(GOOD)
    for rejection in (validate_many(environment, [instance], BrokenExecutor())[0],
                      asyncio.run(validate_async(environment, instance, BrokenExecutor()))):
        assert rejection.reason == RejectionReason.SANDBOX_ERROR


def test_mixed_environments_in_one_batch(executor):
    induction, deduction = make_environment("induction"), make_environment("deduction")
    problem_i = validate_many(induction, [induction.parse_teacher(GOOD)], executor)[0]
    problem_d = validate_many(deduction, [deduction.parse_teacher(teacher_text("def f(x):\n    return x * 2\n",
                                                                                ["21"]))], executor)[0]
    items = [GradingItem(deduction, problem_d, "```output\n42\n```"),
             GradingItem(induction, problem_i, "```python\ndef f(x):\n    return x * x + 1\n```"),
             GradingItem(deduction, problem_d, "```output\n41\n```")]
    assert [r.reward for r in grade(items, executor)] == [1, 1, 0]


def test_one_ellipsis_answer_cannot_sink_a_batch(executor):
    abduction = make_environment("abduction")
    problem = validate_many(abduction, [abduction.parse_teacher(teacher_text("def f(x):\n    return x * 2\n",
                                                                            ["21"]))], executor)[0]
    texts = ["```input\n21\n```", "```input\n...\n```", "```input\n[...]\n```", "```input\n21\n```"]
    results = grade([GradingItem(abduction, problem, text) for text in texts], executor)
    assert [r.reward for r in results] == [1, 0, 0, 1]


class OneBadJobExecutor:
    """Refuses any batch holding a job whose code contains BAD (as a sandbox refuses a malformed job)."""

    def __init__(self, real):
        self.real = real

    def run(self, jobs):
        if any("BAD" in job.code for job in jobs):
            raise ValueError("malformed job")
        return self.real.run(jobs)


def test_a_refused_job_only_zeroes_itself(environment, executor):
    problem = validate_many(environment, [environment.parse_teacher(GOOD)], executor)[0]
    right = "```python\ndef f(x):\n    return x * x + 1\n```"
    texts = [right, right.replace("```python\n", "```python\nBAD = 1\n"), right]
    results = grade([GradingItem(environment, problem, text) for text in texts], OneBadJobExecutor(executor))
    assert [r.reward for r in results] == [1, 0, 1]
    assert results[1].reason.startswith("sandbox_error")
