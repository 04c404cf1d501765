"""The main job: generate curriculum data with the teacher, evaluate the policy, train it
with GRPO on the data, evaluate it again, and write a report:

    python -m rl.main --config=configs/default.py [--config.output_dir=DIR ...]

Stages, each resumable (a rerun with the same output dir continues where it stopped):
data generation (skipped when `main.dataset_dir` names an existing dataset, or when the
run's own dataset is complete), evaluation before training, training, evaluation after
training, report. With `teacher.backend="jetstream"` and no address, the job starts a
JetStream server for the teacher (python -m data_gen.serve) for the data stage only.
"""
from __future__ import annotations

import contextlib
import functools
import gc
import json
import os
import resource
import subprocess
import sys
import time
from typing import Optional

from data_gen import output_layout
from data_gen.main import generate_dataset
from rl import distributed
from rl.checkpointing import ResumePolicyError, apply_resume_policy, checkpoint_directory, complete_steps
from rl.cli import run_with_config
from rl.evaluation.benchmark import GradingResources
from rl.evaluation.report import RESULTS_JSON, write_report
from rl.evaluation.suite import run_suite
from rl.evaluation.synthetic_change import (AFTER_FILE, BEFORE_FILE, policy_pass_rates, synthetic_problem_sets,
                                            write_changes)
from rl.main_report import write_main_report
from rl.policy import load_policy, policy_generator
from configs import run_paths
from rl.preflight import ServerLog, server_start_error
from rl.rollout import rollout_sampling
from rl.state_files import OutputDirLock, read_json_or_none, write_json_atomic, write_text_atomic
from rl.train import train
from sandbox.executor import SandboxExecutor

STAGES = ("data_generation", "evaluation_before", "training", "evaluation_after", "report")


class _StageClock:
    """Wall time per stage, kept in <output_dir>/stage_times.json across reruns."""

    def __init__(self, path: str):
        self.path = path
        self.times = read_json_or_none(path) or {}

    @contextlib.contextmanager
    def stage(self, name: str):
        print(f"== {name}", file=sys.stderr, flush=True)
        started = time.time()
        try:
            yield
        finally:
            self.times[name] = self.times.get(name, 0.0) + time.time() - started
            write_json_atomic(self.path, self.times)
            gc.collect()   # what the stage built (its generators, tables, caches) goes before the next
            print(f"== {name}: {time.time() - started:.0f} s; memory now {_resident_gb():.1f} GB, "
                  f"peak so far {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.1f} GB",
                  file=sys.stderr, flush=True)


def _resident_gb() -> float:
    """This process's resident memory now (Linux /proc; 0 where it cannot be read)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**30
    except (OSError, ValueError, IndexError):
        return 0.0


@contextlib.contextmanager
def jetstream_teacher(config):
    """Start `python -m data_gen.serve` on a free port for the teacher; yields host:port."""
    command = [sys.executable, "-m", "data_gen.serve", f"--config={config.main.serve_config}",
               f"--config.model={config.teacher.model}", "--config.port=0"]
    for key, value in config.main.serve_overrides.items():
        command.append(f"--config.{key}={value}")
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    server_log = ServerLog(server.stderr)
    try:
        deadline = time.time() + float(config.main.serve_start_timeout_s)
        address = None
        while time.time() < deadline:
            line = server.stdout.readline()
            if not line:
                break
            if line.startswith("serving "):
                address = line.split()[1]
                break
        if address is None:
            raise server_start_error(server, server_log, float(config.main.serve_start_timeout_s))
        yield address
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _problem_files(dataset_dir: str) -> tuple[str, ...]:
    return tuple(run_paths.glob(os.path.join(dataset_dir, "multi_turn", "problems-h*.jsonl")))


def _chain_files(dataset_dir: str) -> tuple[str, ...]:
    return tuple(run_paths.glob(os.path.join(dataset_dir, "multi_turn", "chains-h*.jsonl")))


def _data_generation(config, teacher, student, executor, progress: bool) -> str:
    """The dataset directory, generated (or resumed) unless one was given: data_gen's own
    entry (`data_gen.main.generate_dataset`) into <output_dir>/data, the student sampling as
    the rollouts do (`rollout_sampling`), with a JetStream teacher started for it where the
    config asks for one without an address."""
    if config.main.dataset_dir:
        if not _problem_files(str(config.main.dataset_dir)):
            raise ValueError(f"main.dataset_dir {config.main.dataset_dir!r} holds no multi_turn/problems-h*.jsonl")
        return str(config.main.dataset_dir)
    dataset_dir = os.path.join(str(config.output_dir), "data")
    if (read_json_or_none(output_layout.manifest_path(dataset_dir)) or {}).get("complete"):
        return dataset_dir
    generate = functools.partial(generate_dataset, config, dataset_dir, student_sampling=rollout_sampling(config),
                                 student=student, executor=executor, progress=progress)
    if teacher is None and config.teacher.backend == "jetstream" and not config.teacher.address:
        with jetstream_teacher(config) as address:
            with config.teacher.unlocked():
                config.teacher.address = address
            generate()
    else:
        generate(teacher=teacher)
    return dataset_dir


def _evaluate(config, policy, executor, directory: str, label: str) -> dict:
    """Evaluate the policy's current parameters (cached: a finished evaluation is not rerun)."""
    cached = read_json_or_none(os.path.join(directory, RESULTS_JSON))
    if cached is not None:  # the name the evaluation writes; a torn file is rerun
        return cached
    generator = policy_generator(policy)
    results = run_suite(config.eval, generator, GradingResources(executor, config.environments))
    return write_report(results, directory, {"label": label, "policy": policy.name})


def _apply_resume_policy(config, output_dir: str) -> None:
    """`checkpoint.resume` for the whole job (rl.checkpointing.apply_resume_policy); with
    "never" + overwrite the previous run's training logs and after-training evaluation
    go aside with its checkpoints (the dataset and the evaluation before training, which
    do not depend on training, are kept and reused)."""
    directory = checkpoint_directory(config)
    resume = str(config.checkpoint.get("resume", "auto"))
    overwrite = bool(config.checkpoint.get("overwrite", False))
    primary = distributed.is_primary()
    if resume == "never" and overwrite and complete_steps(directory) and primary:
        aside = os.path.join(output_dir, "replaced-" + time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()))
        for name in ("train", "eval_after", "synthetic_after.json"):
            if run_paths.exists(os.path.join(output_dir, name)):
                run_paths.makedirs(aside)
                run_paths.move(os.path.join(output_dir, name), os.path.join(aside, name))
    apply_resume_policy(directory, resume, overwrite, move=primary)


def run_main(config, *, policy=None, teacher=None, student=None, executor=None, progress: bool = True) -> dict:
    """Run (or resume) every stage; returns the report's figures. `policy`, `teacher`,
    `student` and `executor` may be given instead of being built from the config (tests)."""
    config = config.copy_and_resolve_references()
    output_dir = str(config.output_dir)
    run_paths.makedirs(output_dir)
    with contextlib.ExitStack() as stack:
        stack.enter_context(OutputDirLock(output_dir))  # a second run here fails at once
        _apply_resume_policy(config, output_dir)  # before any stage: `must` fails at once
        write_text_atomic(os.path.join(output_dir, "config.json"),
                          config.to_json_best_effort(indent=2, sort_keys=True))
        clock = _StageClock(os.path.join(output_dir, "stage_times.json"))
        if executor is None:
            executor = stack.enter_context(SandboxExecutor.from_config(config.sandbox))
        with clock.stage("data_generation"):
            dataset_dir = _data_generation(config, teacher, student, executor, progress)
        with config.unlocked():
            config.curriculum.data_files = _problem_files(dataset_dir)
            config.curriculum.chain_files = _chain_files(dataset_dir)
        policy = policy or load_policy(config.model)
        problem_sets = synthetic_problem_sets(config.curriculum.data_files, config.curriculum,
                                              int(config.synthetic_change.problem_limit))
        with clock.stage("evaluation_before"):
            synthetic_before = policy_pass_rates(config, policy, executor, problem_sets,
                                                 os.path.join(output_dir, BEFORE_FILE), "before")
            before = _evaluate(config, policy, executor, os.path.join(output_dir, "eval_before"), "before")
        with clock.stage("training"):
            result = train(config, policy=policy, executor=executor, progress=progress)
        with clock.stage("evaluation_after"):
            synthetic_after = policy_pass_rates(config, policy, executor, problem_sets,
                                                os.path.join(output_dir, AFTER_FILE), "after")
            after = _evaluate(config, policy, executor, os.path.join(output_dir, "eval_after"), "after")
        with clock.stage("report"):
            changes = write_changes(output_dir, synthetic_before, synthetic_after, int(config.synthetic_change.seed))
            figures = write_main_report(output_dir, dataset_dir, before, after, result.metrics, clock.times,
                                        config, synthetic=changes,
                                        per_problem=(synthetic_before["pass_rates"], synthetic_after["pass_rates"]))
    return figures


def main(config) -> None:
    distributed.initialize()
    try:
        figures = run_main(config)
    except ResumePolicyError as error:
        sys.exit(f"error: {error}")
    print(f"report: {os.path.join(str(config.output_dir), 'report.md')}")
    print(json.dumps(figures.get("headline", {}), sort_keys=True))


if __name__ == "__main__":
    run_with_config(main, "python -m rl.main --config=configs/default.py [--config.output_dir=DIR ...]")
