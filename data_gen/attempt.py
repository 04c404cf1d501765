"""The student's attempt at a problem: one definition shared by data generation's difficulty
measure, the trainer's rollouts and the before/after evaluation of the policy.

An attempt is the problem's own environment's policy prompt (`render_policy_prompt`),
sampled under one `Sampling` (token limit, temperature, top-p, top-k) and graded by that
environment in the sandbox. A pass rate is only comparable with rewards drawn under the same
settings, so the main job measures difficulty with the rollout's settings
(`rl.rollout.rollout_sampling`).
"""
from __future__ import annotations

from typing import Sequence

from data_gen.environments import GradingItem, grade, grade_async
from data_gen.environments.base import Environment
from data_gen.sampling import stable_seed
from rl.generation.sampling import Sampling
from data_gen.records import Problem
from rl.generation.types import GenerationRequest, GenerationResult


def attempt_request(environment: Environment, problem: Problem, sampling: Sampling, attempts: int,
                    seed: int) -> GenerationRequest:
    """`attempts` samples of the policy prompt of `problem`."""
    return sampling.request(environment.render_policy_prompt(problem), attempts, seed)


def _checked_texts(result: GenerationResult, attempts: int, problem: Problem) -> list[str]:
    texts = [completion.text for completion in result.completions]
    if len(texts) != attempts:
        raise RuntimeError(f"the student returned {len(texts)} completions for problem {problem.id}, "
                           f"{attempts} were asked; its pass rate would have the wrong denominator")
    return texts


def grading_items(environment: Environment, problem: Problem, result: GenerationResult,
                  attempts: int) -> list[GradingItem]:
    return [GradingItem(environment, problem, text) for text in _checked_texts(result, attempts, problem)]


async def grade_attempts_async(environment: Environment, problem: Problem, result: GenerationResult,
                               attempts: int, executor) -> tuple[list[str], list]:
    """The texts of exactly `attempts` attempts in `result` and their rewards."""
    items = grading_items(environment, problem, result, attempts)
    return [item.answer_text for item in items], await grade_async(items, executor)


def pass_rates(generator, problems: Sequence[Problem], environments, executor, sampling: Sampling,
               attempts: int, seed: int) -> dict[str, float]:
    """{problem id: fraction of `attempts` fresh attempts that pass}, one batched generate call."""
    if not problems:
        return {}
    requests = [attempt_request(environments[p.environment], p, sampling, attempts, stable_seed(str(seed), p.id))
                for p in problems]
    results = generator.generate(requests)
    items = [item for problem, result in zip(problems, results)
             for item in grading_items(environments[problem.environment], problem, result, attempts)]
    rewards = [r.reward for r in grade(items, executor)]
    return {problem.id: sum(rewards[i * attempts:(i + 1) * attempts]) / attempts for i, problem in enumerate(problems)}
