"""Workers: one long-lived fork server each, inside gVisor or (by explicit choice) not.

`GvisorWorker` runs the fork server as the init process of its own `runsc` sandbox and
talks to it over the container's stdin/stdout pipes (pipes were reliable here; files
from `runsc do` were not). It refuses to serve unless the server reports gVisor's
kernel. `RlimitsWorker` runs the same fork server as a plain host process: only
rlimits, a process group, a temporary directory and (when the host runs as root) the
uid `nobody` separate candidate code from the host. It has no file system, network or
process isolation, leaves escaped background processes alone, and says so on every use.

A worker that misses a deadline, breaks the protocol or reports an unclean job is
stopped (container killed and deleted) and started afresh on its next job.
"""
from __future__ import annotations

import itertools
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path

from sandbox import runsc as runsc_lib
from sandbox.framing import HEADER, MAX_FRAME_BYTES, write_frame

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 3.0

_PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)


class WorkerFailure(RuntimeError):
    """The worker (not the candidate) failed: the job gets a sandbox_error or a retry.

    `delivered` says whether the request may have reached the fork server (then the
    candidate's code may have run, and the job is never retried).
    """

    def __init__(self, message: str, delivered: bool = True):
        super().__init__(message)
        self.delivered = delivered


class UnisolatedBackendWarning(UserWarning):
    """Issued on every use of the rlimits backend."""


def _read_frame_before(fd: int, deadline: float):
    """One frame from the fork server's output, or WorkerFailure at `deadline`."""
    buffer = bytearray()
    need = HEADER.size
    size = None
    while len(buffer) < need:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise WorkerFailure("no answer from the fork server before the deadline")
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(fd, need - len(buffer))  # never past this frame
        if not chunk:
            raise WorkerFailure("the fork server's output closed (sandbox died)")
        buffer += chunk
        if size is None and len(buffer) >= HEADER.size:
            (size,) = HEADER.unpack(buffer[:HEADER.size])
            if size > MAX_FRAME_BYTES:
                raise WorkerFailure("oversized frame from the fork server")
            need = HEADER.size + size
    if len(buffer) != need:
        raise WorkerFailure("the fork server wrote more than one frame")
    try:
        return json.loads(bytes(buffer[HEADER.size:]))
    except (ValueError, RecursionError, MemoryError) as error:
        raise WorkerFailure(f"malformed frame from the fork server: {error}") from None


class _ForkServerWorker:
    """Shared life cycle: start a fork server process, send jobs, stop, recycle."""

    backend = ""

    def __init__(self, recycle_after_jobs: int):
        self.recycle_after_jobs = recycle_after_jobs
        self.process: subprocess.Popen | None = None
        self.jobs_since_start = 0
        self.starts = 0
        self.hello: dict = {}

    # Each backend defines: _spawn() -> Popen of the fork server, _settings() -> the
    # server's settings frame, _check_hello(hello), and _stop_process().

    def start(self) -> None:
        if self.process is not None:
            return
        self.process = self._spawn()
        self.starts += 1
        self.jobs_since_start = 0
        try:
            write_frame(self.process.stdin.fileno(), self._settings())
            self.hello = _read_frame_before(self.process.stdout.fileno(),
                                            time.monotonic() + START_TIMEOUT_S)
            self._check_hello(self.hello)
        except (OSError, WorkerFailure) as error:
            self.stop()
            raise WorkerFailure(f"{self.backend} sandbox failed to start: {error}"
                                f"{self._log_tail()}") from None

    def _log_tail(self) -> str:
        return ""

    def execute(self, request: dict, timeout_s: float) -> dict:
        """Run one job request; WorkerFailure if the worker itself misbehaves."""
        try:
            self.start()
        except WorkerFailure as error:
            raise WorkerFailure(str(error), delivered=False) from None
        try:
            write_frame(self.process.stdin.fileno(), request)
        except OSError as error:  # the sandbox was gone before it could read the job
            self.stop()
            raise WorkerFailure(f"the sandbox did not take the job: {error}",
                                delivered=False) from None
        try:  # the server acknowledges a job before any of its code runs
            ack = _read_frame_before(self.process.stdout.fileno(),
                                     time.monotonic() + START_TIMEOUT_S)
        except (OSError, WorkerFailure) as error:
            self.stop()
            raise WorkerFailure(f"the sandbox did not take the job: {error}",
                                delivered=False) from None
        if ack != {"ack": True}:
            self.stop()
            raise WorkerFailure("the fork server did not acknowledge the job")
        try:
            answer = _read_frame_before(self.process.stdout.fileno(), time.monotonic() + timeout_s)
        except (OSError, WorkerFailure) as error:
            self.stop()
            raise WorkerFailure(str(error)) from None
        self.jobs_since_start += 1
        if not isinstance(answer, dict) or "note" in answer \
                or not isinstance(answer.get("results"), list):
            self.stop()
            note = answer.get("note") if isinstance(answer, dict) else None
            raise WorkerFailure(str(note or "malformed answer from the fork server")[:500])
        if not answer.get("clean", False) or self.jobs_since_start >= self.recycle_after_jobs:
            self.stop()
        return answer

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            self._stop_process()
        finally:
            for stream in (self.process.stdin, self.process.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
            self.process = None


class GvisorWorker(_ForkServerWorker):
    """A fork server as init of a long-lived runsc sandbox (no network; `platform` is
    runsc's, already resolved by `sandbox.runsc.choose_platform`)."""

    backend = "gvisor"
    _ids = itertools.count()

    def __init__(self, runsc: str, state_dir: str, bundle_dir: str, recycle_after_jobs: int,
                 platform: str = "ptrace"):
        super().__init__(recycle_after_jobs)
        self.command = runsc_lib.runsc_command(runsc, state_dir, platform)
        self.bundle_dir = bundle_dir
        self.state_dir = state_dir
        self.container_id = ""
        self.log_path = ""

    def _spawn(self) -> subprocess.Popen:
        self.container_id = f"sbx-{os.getpid()}-{next(self._ids)}-{uuid.uuid4().hex[:8]}"
        self.log_path = os.path.join(self.state_dir, f"{self.container_id}.log")
        with open(self.log_path, "wb") as log:
            return subprocess.Popen(
                self.command + ["run", "--bundle", self.bundle_dir, self.container_id],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                start_new_session=True)

    def _settings(self) -> dict:
        return {"candidate_uid": runsc_lib.CANDIDATE_UID, "work_root": "/tmp",
                "limit_processes": True, "sweep_candidate_uid": True}

    def _check_hello(self, hello: dict) -> None:
        if not hello.get("gvisor"):
            raise WorkerFailure("the sandbox does not run on gVisor's kernel "
                                f"(kernel: {hello.get('kernel')!r})")

    def _log_tail(self) -> str:
        try:
            text = Path(self.log_path).read_text(errors="replace").strip()
        except OSError:
            return ""
        return f"; runsc said: {text[-500:]}" if text else ""

    def _stop_process(self) -> None:
        process = self.process
        try:
            process.stdin.close()  # the fork server exits at end of input
        except OSError:
            pass
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            subprocess.run(self.command + ["kill", self.container_id, "KILL"],
                           capture_output=True, timeout=30)
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        subprocess.run(self.command + ["delete", "--force", self.container_id],
                       capture_output=True, timeout=30)
        try:
            os.unlink(self.log_path)
        except OSError:
            pass


class RlimitsWorker(_ForkServerWorker):
    """The fork server as a plain host process: rlimits only, NO isolation."""

    backend = "rlimits"

    def __init__(self, recycle_after_jobs: int):
        super().__init__(recycle_after_jobs)
        self.work_root = ""

    def _spawn(self) -> subprocess.Popen:
        warn_unisolated()
        self.work_root = tempfile.mkdtemp(prefix="sandbox-rlimits-")
        os.chmod(self.work_root, 0o711)  # the unprivileged candidate must reach work/
        bootstrap = (f"import sys; sys.path.insert(0, {_PACKAGE_PARENT!r}); "
                     "from sandbox.fork_server import serve; serve()")
        return subprocess.Popen([sys.executable, "-I", "-B", "-c", bootstrap],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, cwd=self.work_root,
                                env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
                                start_new_session=True)

    def _settings(self) -> dict:
        # As root, candidate code still drops to `nobody`; but the uid is shared with
        # other host processes (gVisor's own sandboxes among them), so neither a
        # process-count limit nor a kill-every-process-of-the-uid sweep is safe here.
        uid = runsc_lib.CANDIDATE_UID if os.geteuid() == 0 else None
        return {"candidate_uid": uid, "work_root": self.work_root, "limit_processes": False,
                "sweep_candidate_uid": False}

    def _check_hello(self, hello: dict) -> None:
        if not hello.get("hello"):
            raise WorkerFailure("the fork server did not greet")

    def _stop_process(self) -> None:
        process = self.process
        try:
            process.stdin.close()
            process.wait(timeout=STOP_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired):
            try:
                os.killpg(process.pid, 9)
            except OSError:
                pass
            process.wait()
        shutil.rmtree(self.work_root, ignore_errors=True)


def warn_unisolated() -> None:
    """Say loudly that the rlimits backend is in use (called on every use)."""
    message = ("sandbox backend 'rlimits' in use: candidate code runs on the HOST with only "
               "rlimits and a process group around it (no file system, network or process "
               "isolation). Use backend='gvisor' for untrusted code.")
    print(f"WARNING: {message}", file=sys.stderr, flush=True)
    warnings.warn(message, UnisolatedBackendWarning, stacklevel=3)
