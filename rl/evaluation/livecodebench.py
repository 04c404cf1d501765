"""LiveCodeBench in its released problem format, through the `contest` environment.

The loader is the contest environment's (`data_gen.environments.contest_loader`): stdin
and function-call problems, public plus (possibly compressed) private tests, a contest
date window and a difficulty filter. The prompt and the all-tests reward are the contest
environment's, the same the trainer uses for real problems. Splits: "all", the
difficulty ("easy", "medium", "hard"; the paper's v5 splits) and the platform.
Departure: LiveCodeBench's own harness runs each answer under its own runner; here the
project's sandbox runs it (function-call answers get the contest prelude of imports).
"""
from __future__ import annotations

import ml_collections

from data_gen.environments import make_environment
from data_gen.environments.contest_loader import load_contest_problems
from data_gen.records import Problem
from rl.evaluation.benchmark import ALL_SPLIT, BENCHMARKS, GradingResources
from rl.evaluation.environment_benchmark import EnvironmentBenchmark

DIFFICULTIES = ("easy", "medium", "hard")


def livecodebench_splits(problem: Problem) -> tuple[str, ...]:
    splits = [ALL_SPLIT]
    for key in ("difficulty", "platform"):
        value = str(problem.extra.get(key, "") or "")
        if value:
            splits.append(value)
    return tuple(splits)


@BENCHMARKS.register("livecodebench")
def make_livecodebench(config: ml_collections.ConfigDict, resources: GradingResources) -> EnvironmentBenchmark:
    """Built from `eval.livecodebench`: path, start_date, end_date, difficulties, limit."""
    if not config.path:
        raise ValueError("eval.livecodebench.path is empty; point it at LiveCodeBench's released "
                         "code_generation_lite JSONL (e.g. test6.jsonl)")
    unknown = sorted(set(config.difficulties) - set(DIFFICULTIES))
    if unknown:
        raise ValueError(f"eval.livecodebench.difficulties has {unknown}; valid: {', '.join(DIFFICULTIES)}")
    try:
        loaded = load_contest_problems(config.path, limit=config.limit, difficulties=tuple(config.difficulties),
                                       start_date=config.start_date, end_date=config.end_date)
    except FileNotFoundError as error:
        raise ValueError(f"eval.livecodebench.path: {error}") from None
    if loaded.skipped:
        print(f"livecodebench: skipped lines {loaded.skipped}")
    environment = make_environment("contest", resources.environments_config)
    return EnvironmentBenchmark("livecodebench", loaded.problems, {"contest": environment},
                                resources.require_sandbox("livecodebench"), livecodebench_splits)
