"""One evaluation run of a policy: the configured suite, written as a report to
`output_dir` with the resolved config beside it. Shared by `rl.evaluate` (the command),
the trainer and the main job, which bring their own generator.
"""
from __future__ import annotations

import contextlib
import os
import platform
import time
from typing import Iterator, Optional

import ml_collections

from configs import run_paths
from rl.evaluation.benchmark import GradingResources, JobRunner
from rl.evaluation.report import write_report
from rl.evaluation.suite import needs_sandbox, run_suite
from rl.generation.types import TextGenerator
from sandbox.executor import SandboxExecutor

CONFIG_FILE = "eval_config.json"


def evaluate(config: ml_collections.ConfigDict, generator: TextGenerator, sandbox: Optional[JobRunner]) -> dict:
    """Run `config.eval` on `generator`, write the report to `config.output_dir`, return its JSON.

    `config` is an evaluation config (configs/eval.py): `checkpoint` (a label here),
    `output_dir`, `eval` and `environments` sections.
    """
    run_paths.makedirs(config.output_dir)
    with run_paths.open_file(os.path.join(config.output_dir, CONFIG_FILE), "w") as file:
        file.write(config.to_json_best_effort(indent=2, sort_keys=True))
    started = time.perf_counter()
    results = run_suite(config.eval, generator, GradingResources(sandbox, config.get("environments")))
    metadata = {"checkpoint": config.checkpoint, "host": platform.node(),
                "wall_time_s": time.perf_counter() - started,
                "finished_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    return write_report(results, config.output_dir, metadata)


@contextlib.contextmanager
def sandbox_for(config: ml_collections.ConfigDict) -> Iterator[Optional[JobRunner]]:
    """The executor of the `sandbox` section when a configured benchmark runs code, else None."""
    if not needs_sandbox(tuple(config.eval.benchmarks)):
        yield None
        return
    with SandboxExecutor.from_config(config.sandbox) as executor:
        yield executor
