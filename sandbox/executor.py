"""`SandboxExecutor`: a pool of long-lived sandboxes that grades jobs and runs reference code.

Public API:

    from sandbox import SandboxExecutor, Job, FunctionTest, StdioTest, Limits
    with SandboxExecutor(workers=None, backend="gvisor", limits=Limits()) as ex:
        ex.run(jobs) -> list[Verdict]                 # one verdict per job, in order
        ex.submit(job) -> concurrent.futures.Future[Verdict]
        await ex.run_async(jobs) -> list[Verdict]
        ex.reference(code, functions, inputs, limits=None) -> list[dict[str, CallOutcome]]
        ex.submit_reference(code, functions, inputs, limits=None) -> Future[...]
        await ex.reference_async(code, functions, inputs, limits=None)

`workers` defaults to os.cpu_count(): one gVisor sandbox (with a fork server inside)
per worker, started when the executor is entered, recycled after
`recycle_after_jobs` jobs or on any anomaly (missed deadline, protocol break, a
candidate process that would not die). A job whose sandbox failed before the job reached
it is retried once on a fresh sandbox; a failure after that (candidate code may have
run) and a malformed answer are the job's `sandbox_error` verdict, with no retry. Bad candidate code
never raises out of the executor; a malformed job (the caller's mistake) raises
`sandbox.grading.JobError` naming the field.

`sandbox_memory_mb` caps one whole sandbox's memory (its cgroup); a job that takes the
sandbox past it loses the sandbox and gets `sandbox_error`, the host is untouched.
`limits` is the default for reference calls (jobs carry their own `Job.limits`).
`rel_tol` is the comparator's relative float tolerance. `platform` is runsc's: "auto"
(default) is KVM where a trial sandbox boots on it, else ptrace, with a log line
(`sandbox.runsc.choose_platform`); `executor.platform` says which was chosen.

Backends: "gvisor" (default; needs `runsc`, a clear error says how to install it) and
"rlimits" (only by name; no isolation; warns on every use). Nothing falls back.

What the gVisor backend covers (each promise is checked in tests/sandbox/test_hostile.py):
no network (a private loopback only); a read-only root in which only /usr and this
package are visible (not the host's files, the project, /etc or /root); none of the
host's environment or processes; one writable place, a size-limited tmpfs; per-process
limits on address space, processes/threads, file size and CPU, and per-test / per-job
wall time and total output; candidate code runs as an unprivileged uid that cannot
signal, trace or read the fork server; every candidate process is killed after each
job; expected values never enter the sandbox and returned values are parsed without
evaluating code; verdicts are reported only by the harness process, which candidate code
cannot reach (`sandbox.child`); the whole sandbox's memory is capped by its cgroup
(`sandbox_memory_mb`). What it does not cover: CPU fairness between workers, timing
side channels and bugs in gVisor itself. The rlimits backend covers only the limits and
the process group, nothing else.

Throughput (HumanEval canonical solutions): see `python -m sandbox.bench` and
docs/BENCHMARKS.md. Per job only the candidate's process (the callee) is forked, ahead
of demand, by a harness that serves job after job; under gVisor's ptrace platform that
fork (~12-17 ms of CPU) is most of a job's cost, so jobs are CPU-bound.
"""
from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterable, Sequence

from sandbox import grading, runsc as runsc_lib
from sandbox.backends import GvisorWorker, RlimitsWorker, WorkerFailure, warn_unisolated
from sandbox.types import CallOutcome, Job, Limits, Verdict

BACKENDS = ("gvisor", "rlimits")
HOST_GRACE_S = 15.0


class SandboxExecutor:
    """A context manager over a pool of fork-server workers; see the module docstring."""

    def __init__(self, workers: int | None = None, backend: str = "gvisor",
                 limits: Limits = Limits(), *, rel_tol: float = 1e-6,
                 recycle_after_jobs: int = 500, runsc_path: str | None = None,
                 python: str = "/usr/bin/python3", platform: str = "auto",
                 tmpfs_mb: int = 256, sandbox_memory_mb: int = 2048):
        if backend not in BACKENDS:
            raise ValueError(f"sandbox backend {backend!r} is unknown; choose one of {BACKENDS}")
        self.workers = int(workers or os.cpu_count() or 1)
        if self.workers < 1:
            raise ValueError(f"sandbox workers must be >= 1, got {workers}")
        if recycle_after_jobs < 1:
            raise ValueError("sandbox recycle_after_jobs must be >= 1")
        self.backend = backend
        self.limits = limits
        self.rel_tol = rel_tol
        self.recycle_after_jobs = recycle_after_jobs
        self._runsc = runsc_lib.find_runsc(runsc_path) if backend == "gvisor" else None
        self._python = python
        self._platform = (runsc_lib.choose_platform(self._runsc, platform)
                          if backend == "gvisor" else platform)
        self._tmpfs_mb = tmpfs_mb
        if sandbox_memory_mb < tmpfs_mb + 128:
            raise ValueError(f"sandbox_memory_mb={sandbox_memory_mb} leaves no room beside the "
                             f"{tmpfs_mb} MB tmpfs; give at least tmpfs_mb + 128")
        self._sandbox_memory_mb = sandbox_memory_mb
        self._pool: list = []
        self._idle: queue.Queue = queue.Queue()
        self._threads: concurrent.futures.ThreadPoolExecutor | None = None
        self._state_dir = ""
        self._lock = threading.Lock()
        self._closed = False

    @classmethod
    def from_config(cls, section) -> "SandboxExecutor":
        """An executor from the `sandbox` config section (configs/sections/sandbox.py)."""
        limits = Limits(**{name: section.limits[name] for name in section.limits.keys()})
        return cls(workers=section.workers or None, backend=section.backend, limits=limits,
                   rel_tol=section.rel_tol, recycle_after_jobs=section.recycle_after_jobs,
                   python=section.python, platform=section.platform,
                   tmpfs_mb=section.tmpfs_mb,
                   sandbox_memory_mb=section.get("sandbox_memory_mb", 2048))

    # ---------------------------------------------------------------- life cycle
    def __enter__(self) -> "SandboxExecutor":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        """Create the workers and start their sandboxes in parallel."""
        with self._lock:
            if self._threads is not None:
                return
            if self.backend == "gvisor":
                self._state_dir = tempfile.mkdtemp(prefix="sandbox-gvisor-")
                bundle = Path(self._state_dir) / "bundle"
                bundle.mkdir()
                runsc_lib.write_bundle(bundle, python=self._python, tmpfs_mb=self._tmpfs_mb,
                                       memory_mb=self._sandbox_memory_mb)
                self._pool = [GvisorWorker(self._runsc, self._state_dir, str(bundle),
                                           self.recycle_after_jobs, self._platform)
                              for _ in range(self.workers)]
            else:
                self._pool = [RlimitsWorker(self.recycle_after_jobs) for _ in range(self.workers)]
            self._threads = concurrent.futures.ThreadPoolExecutor(
                max_workers=self.workers, thread_name_prefix="sandbox")
            atexit.register(self.close)  # sandboxes and state dir go even without `with`
        starts = [self._threads.submit(worker.start) for worker in self._pool]
        for future in starts:
            try:
                future.result()
            except WorkerFailure:
                pass  # retried lazily by the job that needs the worker
        for worker in self._pool:
            self._idle.put(worker)

    def close(self) -> None:
        """Stop every sandbox and remove the state directory; idempotent."""
        with self._lock:
            if self._closed or self._threads is None:
                self._closed = True
                return
            self._closed = True
        atexit.unregister(self.close)
        self._threads.shutdown(wait=True)
        for worker in self._pool:
            worker.stop()
        if self._state_dir:
            self._delete_leftover_containers()
            shutil.rmtree(self._state_dir, ignore_errors=True)

    def _delete_leftover_containers(self) -> None:
        command = runsc_lib.runsc_command(self._runsc, self._state_dir, self._platform)
        listing = subprocess.run(command + ["list", "-quiet"], capture_output=True, text=True,
                                 timeout=30)
        for container in listing.stdout.split():
            subprocess.run(command + ["delete", "--force", container], capture_output=True,
                           timeout=30)

    @property
    def platform(self) -> str:
        return self._platform

    def containers(self) -> list[str]:
        """Ids of the runsc containers this executor holds now (empty once closed)."""
        if not self._state_dir or not os.path.isdir(self._state_dir):
            return []
        command = runsc_lib.runsc_command(self._runsc, self._state_dir, self._platform)
        listing = subprocess.run(command + ["list", "-quiet"], capture_output=True, text=True,
                                 timeout=30)
        return listing.stdout.split()

    # ---------------------------------------------------------------- jobs
    def run(self, jobs: Iterable[Job]) -> list[Verdict]:
        """Grade a batch; one verdict per job, in order."""
        futures = [self.submit(job) for job in jobs]
        return [future.result() for future in futures]

    def submit(self, job: Job) -> concurrent.futures.Future:
        """Queue one job; the future resolves to its Verdict."""
        request = grading.job_request(job)
        return self._submit_request(self._grade, job, request)

    async def run_async(self, jobs: Iterable[Job]) -> list[Verdict]:
        futures = [asyncio.wrap_future(self.submit(job)) for job in jobs]
        return list(await asyncio.gather(*futures))

    def _grade(self, job: Job, request: dict) -> Verdict:
        started = time.monotonic()
        try:
            answer, backend = self._execute(request, job.limits)
        except WorkerFailure as error:
            return grading.sandbox_error_verdict(job, str(error), time.monotonic() - started,
                                                 self.backend)
        return grading.verdict_from_answer(job, answer, time.monotonic() - started, backend,
                                           self.rel_tol)

    # ---------------------------------------------------------------- reference calls
    def reference(self, code: str, functions: Sequence[str], inputs: Sequence[tuple],
                  limits: Limits | None = None) -> list[dict[str, CallOutcome]]:
        """Run trusted-but-sandboxed `functions` of `code` on each input (a tuple of args)."""
        return self.submit_reference(code, functions, inputs, limits).result()

    def submit_reference(self, code: str, functions: Sequence[str], inputs: Sequence[tuple],
                         limits: Limits | None = None) -> concurrent.futures.Future:
        limits = limits or self.limits
        request = grading.reference_request(code, functions, inputs, limits)
        return self._submit_request(self._reference, (list(functions), len(inputs), limits),
                                    request)

    async def reference_async(self, code: str, functions: Sequence[str],
                              inputs: Sequence[tuple], limits: Limits | None = None):
        return await asyncio.wrap_future(self.submit_reference(code, functions, inputs, limits))

    def _reference(self, call: tuple, request: dict) -> list[dict[str, CallOutcome]]:
        functions, count, limits = call
        try:
            answer, _ = self._execute(request, limits)
        except WorkerFailure as error:
            return grading.reference_failure(functions, count, str(error))
        return grading.reference_outcomes(functions, answer, count, limits.output_bytes)

    # ---------------------------------------------------------------- plumbing
    def _submit_request(self, handler, subject, request: dict) -> concurrent.futures.Future:
        if self._threads is None or self._closed:
            raise RuntimeError("SandboxExecutor is not running; use it as a context manager "
                               "(`with SandboxExecutor() as ex:`) or call start()")
        if self.backend == "rlimits":
            warn_unisolated()
        return self._threads.submit(handler, subject, request)

    def _execute(self, request: dict, limits: Limits) -> tuple[dict, str]:
        """Run a request on an idle worker. Retried once on a fresh sandbox only when the
        sandbox failed before the request reached it (its own failure): once candidate
        code may have run, a failure is final, so hostile code never runs twice."""
        timeout_s = float(limits.wall_time_per_job_s) + HOST_GRACE_S
        worker = self._idle.get()
        try:
            try:
                return worker.execute(request, timeout_s), worker.backend
            except WorkerFailure as failure:
                if failure.delivered:
                    raise
                return worker.execute(request, timeout_s), worker.backend
        finally:
            self._idle.put(worker)
