"""The held-out split of a synthetic dataset, scored per environment.

Problems are read from data_gen's shards and split by family exactly as the curriculum
splits them for training (`curriculum.splits`), so with the same `held_out_fraction` and
`split_seed` as the training run no held-out family was trained on. Each problem is
prompted and rewarded by its own environment. Splits: "all" and each environment.
"""
from __future__ import annotations

import ml_collections

from curriculum.catalog import Catalog
from curriculum.shard_files import read_shard_texts, resolve_shards
from curriculum.splits import select_split
from data_gen.environments import make_environment, synthetic_environment_names
from data_gen.records import Problem
from rl.evaluation.benchmark import ALL_SPLIT, BENCHMARKS, GradingResources
from rl.evaluation.environment_benchmark import EnvironmentBenchmark


def environment_splits(problem: Problem) -> tuple[str, ...]:
    return (ALL_SPLIT, problem.environment)


def held_out_problems(data_files: tuple[str, ...], held_out_fraction: float, split_seed: int,
                      environments: tuple[str, ...]) -> list[Problem]:
    """Synthetic problems of the held-out families, of the named environments (all when empty)."""
    catalog = Catalog.from_texts(read_shard_texts(resolve_shards(data_files)))
    held_out = select_split(catalog, "held_out", held_out_fraction, split_seed)
    wanted = set(environments) or set(synthetic_environment_names())
    return [p for p in held_out.problems if p.provenance == "synthetic" and p.environment in wanted]


@BENCHMARKS.register("synthetic")
def make_synthetic_heldout(config: ml_collections.ConfigDict, resources: GradingResources) -> EnvironmentBenchmark:
    """Built from `eval.synthetic`: data_files, held_out_fraction, split_seed, environments, limit."""
    if not config.data_files:
        raise ValueError("eval.synthetic.data_files is empty; point it at a data_gen run's problem shards "
                         "(e.g. '(\"RUN/problems-*.jsonl\",)')")
    unknown = sorted(set(config.environments) - set(synthetic_environment_names()))
    if unknown:
        raise ValueError(f"eval.synthetic.environments has {unknown}; valid: "
                         + ", ".join(synthetic_environment_names()))
    problems = held_out_problems(tuple(config.data_files), config.held_out_fraction, config.split_seed,
                                 tuple(config.environments))
    problems = problems[: config.limit] if config.limit > 0 else problems
    environments = {name: make_environment(name, resources.environments_config)
                    for name in sorted({p.environment for p in problems})}
    return EnvironmentBenchmark("synthetic", problems, environments, resources.require_sandbox("synthetic"),
                                environment_splits)
