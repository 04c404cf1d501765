"""Running the configured benchmarks on one policy: the library entry point that
`rl.evaluate`, the trainer and the main job share.

Benchmarks are built by name from the `eval` config section (`eval.benchmarks`, each with
its own subsection); importing this module registers every benchmark of the package.
"""
from __future__ import annotations

from typing import Sequence

import ml_collections

from rl.evaluation import humaneval, livecodebench, math_benchmarks, synthetic_heldout  # noqa: F401
from rl.evaluation.benchmark import BENCHMARKS, Benchmark, GradingResources
from rl.evaluation.runner import BenchmarkResult, ScoringSettings, run_benchmark
from rl.evaluation.sampling import EvalSampling
from rl.generation.types import TextGenerator

SANDBOXED_BENCHMARKS = ("humaneval", "livecodebench", "synthetic")


def scoring_settings(eval_config: ml_collections.ConfigDict) -> ScoringSettings:
    return ScoringSettings(k_values=tuple(eval_config.k_values), confidence=eval_config.confidence,
                           resamples=eval_config.bootstrap_resamples, seed=eval_config.seed)


def needs_sandbox(benchmark_names: Sequence[str]) -> bool:
    """Whether any of the benchmarks runs model-written code."""
    return any(name in SANDBOXED_BENCHMARKS for name in benchmark_names)


def make_benchmark(name: str, section: ml_collections.ConfigDict, resources: GradingResources) -> Benchmark:
    """The benchmark registered as `name`, built from its `eval.<name>` section."""
    return BENCHMARKS.get(name)(section, resources)


def build_benchmarks(eval_config: ml_collections.ConfigDict, resources: GradingResources) -> list[Benchmark]:
    """Every benchmark of `eval_config.benchmarks`, loaded: a bad path or filter fails here,
    before any model is loaded or sampled."""
    names = tuple(eval_config.benchmarks)
    if not names:
        raise ValueError("eval.benchmarks is empty; name at least one of " + ", ".join(BENCHMARKS.names()))
    for name in names:
        if name not in eval_config:
            raise ValueError(f"eval.benchmarks names {name!r}, which has no eval.{name} section")
    return [make_benchmark(name, eval_config[name], resources) for name in names]


def run_suite(eval_config: ml_collections.ConfigDict, generator: TextGenerator,
              resources: GradingResources) -> list[BenchmarkResult]:
    """Every benchmark of `eval_config.benchmarks`, in order, on `generator`."""
    benchmarks = build_benchmarks(eval_config, resources)
    sampling = EvalSampling.from_config(eval_config)
    scoring = scoring_settings(eval_config)
    return [run_benchmark(benchmark, generator, sampling, scoring, eval_config.show_progress)
            for benchmark in benchmarks]
