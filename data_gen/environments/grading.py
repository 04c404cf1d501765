"""Grade many policy answers with one executor call: the reward path of the trainer,
the evaluation and the student summaries.

Each answer is planned by its environment (`plan_reward_for_text`): decided outright
(unparsable, a literal compared outside the sandbox) or one sandbox job; all jobs of a
batch go to `executor.run` (or `run_async`) together, so the sandbox pool works on them
in parallel. If that call raises (a job the sandbox refuses, a dead pool), the jobs are
retried one by one so only the failing ones get reward 0 with reason `sandbox_error`;
nothing raises out of grading.
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

from data_gen.environments.base import Environment, RewardPlan, RewardResult, verdict_reward
from data_gen.records import Problem


@dataclasses.dataclass(frozen=True)
class GradingItem:
    """One answer to grade: the environment, the problem and the policy's raw text."""

    environment: Environment
    problem: Problem
    answer_text: str


def plan_all(items: Sequence[GradingItem]) -> list[RewardPlan]:
    plans = []
    for item in items:
        try:
            plans.append(item.environment.plan_reward_for_text(item.problem, item.answer_text))
        except Exception as error:  # noqa: BLE001 - a bad answer must not stop a batch
            plans.append(RewardPlan(decided=RewardResult(0, f"grading error: {type(error).__name__}")))
    return plans


def _combine(plans: Sequence[RewardPlan], verdicts: Sequence) -> list[RewardResult]:
    verdicts = iter(verdicts)
    return [plan.decided if plan.decided is not None else verdict_reward(next(verdicts)) for plan in plans]


def _failure(error: Exception) -> RewardResult:
    return RewardResult(0, f"sandbox_error: {type(error).__name__}: {str(error)[:120]}")


def grade(items: Sequence[GradingItem], executor) -> list[RewardResult]:
    """Binary rewards for `items`, in order, with all sandbox jobs in one `executor.run`."""
    plans = plan_all(items)
    jobs = [plan.job for plan in plans if plan.job is not None]
    try:
        verdicts = executor.run(jobs) if jobs else []
    except Exception:  # noqa: BLE001 - find the job at fault: only it gets reward 0
        return [_one_by_one(plan, executor) for plan in plans]
    return _combine(plans, verdicts)


def _one_by_one(plan: RewardPlan, executor) -> RewardResult:
    if plan.decided is not None:
        return plan.decided
    try:
        return verdict_reward(executor.run([plan.job])[0])
    except Exception as error:  # noqa: BLE001
        return _failure(error)


async def grade_async(items: Sequence[GradingItem], executor) -> list[RewardResult]:
    """The async twin of `grade` (one `executor.run_async` for the batch)."""
    plans = plan_all(items)
    jobs = [plan.job for plan in plans if plan.job is not None]
    try:
        verdicts = await executor.run_async(jobs) if jobs else []
    except Exception:  # noqa: BLE001
        return [await _one_by_one_async(plan, executor) for plan in plans]
    return _combine(plans, verdicts)


async def _one_by_one_async(plan: RewardPlan, executor) -> RewardResult:
    if plan.decided is not None:
        return plan.decided
    try:
        return verdict_reward((await executor.run_async([plan.job]))[0])
    except Exception as error:  # noqa: BLE001
        return _failure(error)


def reward(environment: Environment, problem: Problem, answer_text: str, executor) -> RewardResult:
    """One answer's reward (a batch of one)."""
    return grade([GradingItem(environment, problem, answer_text)], executor)[0]
