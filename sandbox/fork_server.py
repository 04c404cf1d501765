"""The fork server: the long-lived process inside each sandbox that runs candidate code.

It reads framed JSON requests on fd 0 and answers on fd 1 (`sandbox.framing`).
Candidate code runs under a forked harness (`sandbox.child`), prepared before its job
arrives (`ForkServer.prepare_child`) and reused for later jobs while every job it ran
ended cleanly under the same limits (a stdio job consumes it; any timeout, crash,
protocol break, output overflow or left-over file retires it): the child starts a new session, closes every
inherited descriptor, drops to an unprivileged uid
(inside gVisor: 65534, so it can neither signal, ptrace nor read the memory or `/proc`
entries of this root process) and touches the memory a job will touch; then it waits
for its job on a control pipe, sets the job's rlimits (address space, processes, file
size, CPU; no core files) and runs it. Results come back as frames on the child's own
pipe; stdout/stderr go to other pipes that this server drains and counts against the
output limit. Once the answer is out, and before the next job can start, every process
of the candidate uid but the reused harness is killed and reaped, the harness's output
pipes are drained and the work directory emptied; if any process survives, every later
request is refused so that the host replaces the sandbox.

Why pre-fork and `gc.freeze`: under gVisor's ptrace platform each copy-on-write fault
after a fork traps into the sentry; preparing the child while the host is busy, and
keeping the garbage collector away from inherited objects, takes most of that off the
critical path (measured here: ~8 ms inside the sandbox per HumanEval job).

What this process never sees: expected outputs. The verdict-bearing frames come only
from the harness process (`sandbox.child`): candidate code runs in a separate process
with no handle on the harness's result channel (function, reference and assert modes)
or with that channel closed (stdio mode, judged here from the exit status, the output
and the clock). Every frame is checked here (index, status) and again on the host.

Request: {"kind": "function"|"reference"|"assert"|"stdio", "code", "entry_point",
"functions", "inputs" (literal text of argument tuples), "stdins", "test_code",
"limits": {...}}. Answer: {"results": [unit result...], "clean": bool, "server_seconds"},
or {"note": why} when the server itself failed; a unit result is
{"status": "ok"|"error"|"timeout"|"memory"|"output_limit"|"crash", ...}.

Standard library only (and `sandbox.child`, `sandbox.framing`, `sandbox.transport`,
which are standard library only too): it runs on the sandbox's own Python.
"""
from __future__ import annotations

import gc
import os
import resource
import select
import shutil
import signal
import sys
import time

from sandbox.child import DETAIL_CHARS, MEMORY_EXIT, child_main
from sandbox.framing import FrameBuffer, read_frame, write_frame


def _short(text: str) -> str:
    text = str(text)
    return text if len(text) <= DETAIL_CHARS else text[:DETAIL_CHARS] + "..."


class _Streams:
    def __init__(self, kind: str, limit: int):
        self.kind = kind
        self.limit = limit
        self.stdout = bytearray()
        self.stderr_tail = b""
        self.total = 0

    def add(self, which: str, chunk: bytes) -> bool:
        """Record output; False when the total output limit is exceeded."""
        self.total += len(chunk)
        if which == "out" and self.kind == "stdio":
            self.stdout += chunk[: max(0, self.limit - len(self.stdout))]
        elif which == "err":
            self.stderr_tail = (self.stderr_tail + chunk)[-DETAIL_CHARS:]
        return self.total <= self.limit


def _describe_exit(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = str(number)
        return f"killed by signal {name}"
    return f"exited with status {os.WEXITSTATUS(status)}"


HARNESS_JOBS = 200  # a harness is replaced after this many jobs (and on any anomaly)
UNIT_STATUSES = ("ok", "error", "timeout", "memory", "output_limit", "crash")


def _violation(message: str) -> dict:
    return {"status": "error", "error_type": "ProtocolViolation", "error_message": message}


def _valid_unit(frame, index: int) -> bool:
    """A harness frame this server may pass on: a dict for the expected test index with
    a known status (the host validates every field again before use)."""
    return (isinstance(frame, dict) and type(frame.get("i")) is int and frame["i"] == index
            and frame.get("status") in UNIT_STATUSES)


def _stdio_unit(index: int, ending, exit_status, streams: "_Streams", per_test: float) -> dict:
    """A stdio program's result, judged from outside: limits first, then its exit."""
    if ending is not None:
        unit = dict(ending)
    elif exit_status is None:
        unit = {"status": "timeout", "error_message": f"no result within {per_test:g} s"}
    elif os.WIFEXITED(exit_status) and os.WEXITSTATUS(exit_status) == 0:
        return {"i": index, "status": "ok",
                "stdout": streams.stdout.decode("utf-8", errors="replace")}
    elif os.WIFEXITED(exit_status) and os.WEXITSTATUS(exit_status) == MEMORY_EXIT:
        unit = {"status": "memory", "error_type": "MemoryError",
                "error_message": "the program ran out of memory"}
    elif os.WIFEXITED(exit_status):
        unit = {"status": "error", "error_type": "NonZeroExit",
                "error_message": f"the program {_describe_exit(exit_status)}"}
    else:
        unit = {"status": "crash", "error_type": "Crash",
                "error_message": f"the program was {_describe_exit(exit_status)}"}
    unit["i"] = index
    if streams.stderr_tail:
        unit["stderr_tail"] = streams.stderr_tail.decode("utf-8", errors="replace")
    return unit


class ForkServer:
    """Runs jobs one at a time in children; cleans up after each; reports anomalies."""

    def __init__(self, settings: dict):
        self.settings = settings
        self.candidate_uid = settings.get("candidate_uid")
        self.work_root = settings["work_root"]
        self.job_dir = os.path.join(self.work_root, "work")
        self.null_fd = os.open(os.devnull, os.O_RDONLY)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # inherited by every child
        self.jobs_done = 0
        self.ready = None  # (pid, control fd, result fd, stdout fd, stderr fd)
        self.harness_limits = None  # the limits the ready harness runs under, once used
        self.harness_jobs = 0
        self.clean = True
        self._make_job_dir()

    def _make_job_dir(self) -> None:
        os.mkdir(self.job_dir, 0o700)
        if self.candidate_uid is not None:
            os.chown(self.job_dir, self.candidate_uid, self.candidate_uid)

    # One job ----------------------------------------------------------------
    def handle(self, request: dict) -> dict:
        if not self.clean:
            raise RuntimeError("candidate processes of an earlier job would not die")
        self.jobs_done += 1
        started = time.monotonic()
        results = self._run_units(request)
        return {"results": results, "clean": True, "server_seconds": time.monotonic() - started}

    def _run_units(self, request: dict) -> list:
        kind, limits = request["kind"], request["limits"]
        if kind == "stdio":
            count = len(request["stdins"])
        elif kind == "assert":
            count = 1
        else:
            count = len(request["inputs"])
        job_deadline = time.monotonic() + float(limits["wall_time_per_job_s"])
        results: list = []
        while len(results) < count:
            if time.monotonic() >= job_deadline:
                results.append({"i": len(results), "status": "timeout", "skipped": True,
                                "error_message": "job wall time used up before this test"})
                continue
            start = len(results)
            got = self._run_child(request, start, count, job_deadline)
            if got is None:  # the harness died before taking the job: once more, afresh
                got = self._run_child(request, start, count, job_deadline) or [
                    {"i": start, "status": "crash", "error_type": "Crash",
                     "error_message": "the harness died before starting the job"}]
            if got and got[-1].get("fatal"):
                failure = got[-1]
                while len(got) + start < count:
                    got.append(dict(failure, i=start + len(got)))
            results.extend(got[: count - start])
        return results

    def prepare_child(self) -> None:
        """Have the next job's processes ready (and warm) before the job arrives: the
        reused harness is told to fork its next callee; if there is none, fork one."""
        if self.ready is not None:
            if self.harness_limits is None:
                return  # fresh: it forked its callee itself
            try:
                write_frame(self.ready[1], {"prepare": True})
                return
            except OSError:
                self._retire_harness()
        control_r, control_w = os.pipe()
        res_r, res_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        # Frozen objects are never traversed by the child's garbage collector, which
        # would otherwise write to (and so copy) every page of the inherited heap.
        gc.freeze()
        pid = os.fork()
        if pid == 0:
            child_main(self.settings, self.job_dir, control_r, out_w, err_w, res_w,
                        self.null_fd)
        for fd in (control_r, res_w, out_w, err_w):
            os.close(fd)
        self.ready = (pid, control_w, res_r, out_r, err_r)
        self.harness_limits = None
        self.harness_jobs = 0

    def _retire_harness(self) -> None:
        """Kill the ready harness (and its process group) and close its pipes."""
        if self.ready is None:
            return
        pid = self.ready[0]
        for fd in self.ready[1:]:
            try:
                os.close(fd)
            except OSError:
                pass
        self.ready = None
        self._kill_group(pid)
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass

    def _take_child(self, message: dict):
        """Hand the job to the ready harness (forking one if none, or if the one there
        runs under other limits): its pid and pipes. It stays `self.ready` until the
        job's end decides whether it may serve again."""
        limits = message["request"]["limits"]
        if self.harness_limits is not None and (self.harness_limits != limits
                                                or self.harness_jobs >= HARNESS_JOBS):
            self._retire_harness()
        for _ in range(2):
            self.prepare_child()
            pid, control_w, res_r, out_r, err_r = self.ready
            try:
                write_frame(control_w, message)
                self.harness_limits = limits
                self.harness_jobs += 1
                return pid, res_r, out_r, err_r
            except OSError:  # the prepared child died; make another
                self._retire_harness()
        raise RuntimeError("could not start a child process")

    def _kill_group(self, pid: int) -> None:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass

    def _run_child(self, request, start, count, job_deadline) -> list:
        kind, limits = request["kind"], request["limits"]
        per_test = float(limits["wall_time_per_test_s"])
        message = {"request": request, "start": start, "stdin": ""}
        if kind == "stdio":  # the child needs only its own test's stdin
            message["request"] = {key: value for key, value in request.items() if key != "stdins"}
            message["stdin"] = request["stdins"][start]
        pid, res_r, out_r, err_r = self._take_child(message)
        readers = {res_r: "res", out_r: "out", err_r: "err"}
        started = False  # the harness's {"start": true}: it lives and took this job
        streams = _Streams(kind, int(limits["output_bytes"]))
        frames = FrameBuffer(int(limits["output_bytes"]) + 4096)
        got: list = []
        expected = 1 if kind in ("stdio", "assert") else count - start
        unit_deadline = min(job_deadline, time.monotonic() + per_test)
        ending = None  # why we stopped early, as a unit result
        exit_status = None
        open_fds = set(readers)
        idle = False  # the harness said it finished the job and may serve another
        while open_fds:
            now = time.monotonic()
            if now >= unit_deadline:
                if kind != "stdio" and (len(got) >= expected or (got and got[-1].get("fatal"))):
                    break  # every result is in; only the idle frame is missing
                ending = {"status": "timeout",
                          "error_message": f"no result within {per_test:g} s"
                          if unit_deadline < job_deadline else "job wall time exceeded"}
                break
            # Wake at least every 0.1 s: a grandchild may hold the pipes after the child
            # has exited, so the child's exit is checked too, not only end of file.
            wait_s = 0.0 if exit_status is not None else min(0.1, unit_deadline - now)
            ready, _, _ = select.select(list(open_fds), [], [], wait_s)
            if not ready:
                if exit_status is not None:
                    break  # exited and drained; whoever still holds the pipes is ignored
                waited, status = os.waitpid(pid, os.WNOHANG)
                if waited:
                    exit_status = status  # drain what it wrote before leaving
                continue
            for fd in ready:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    open_fds.discard(fd)
                    continue
                if readers[fd] != "res":
                    if not streams.add(readers[fd], chunk):
                        ending = {"status": "output_limit",
                                  "error_message": f"output exceeded {streams.limit} bytes"}
                        break
                    continue
                try:
                    new = frames.feed(chunk)
                except OverflowError:
                    ending = {"status": "output_limit",
                              "error_message": f"a result exceeded {streams.limit} bytes"}
                    break
                except ValueError:
                    ending = _violation("malformed result frame")
                    break
                for frame in new:
                    if not started:
                        if frame != {"start": True}:
                            ending = _violation("the harness did not start the job")
                            break
                        started = True
                        if kind == "stdio":
                            # No result channel from here: the program is judged from
                            # outside (exit status, output, clock), so nothing it writes
                            # anywhere can claim a verdict.
                            open_fds.discard(res_r)
                            break
                        continue
                    if frame == {"idle": True} and (len(got) >= expected
                                                    or (got and got[-1].get("fatal"))):
                        idle = True
                        break
                    if not _valid_unit(frame, start + len(got)):
                        ending = _violation("out-of-order or malformed result frame")
                        break
                    got.append(frame)
                    unit_deadline = min(job_deadline, time.monotonic() + per_test)
                if ending:
                    break
            if ending:
                break
            if idle:
                break
        finished = len(got) >= expected or (got and got[-1].get("fatal"))
        if exit_status is None and not finished:
            exit_status = self._wait_child(pid, unit_deadline if ending is None else 0.0)
        if not (idle and ending is None and exit_status is None and kind != "stdio"):
            # Not reusable: the harness (and all in its process group) goes; reaped by
            # the clean-up after the job.
            self._kill_group(pid)
            for fd in self.ready[1:]:
                try:
                    os.close(fd)
                except OSError:
                    pass
            self.ready = None
        if not started and ending is None:
            return None  # it died (a signal sent before the last sweep): no code of this job ran
        if kind == "stdio":
            return [_stdio_unit(start, ending, exit_status, streams, per_test)]
        if len(got) > expected:
            got = got[:expected]
        if got and got[-1].get("fatal"):
            expected = len(got)
        if len(got) < expected and ending is None:
            if exit_status is None:
                ending = {"status": "timeout", "error_message": f"no result within {per_test:g} s"}
            else:
                ending = {"status": "crash", "error_type": "Crash", "error_message":
                          f"process {_describe_exit(exit_status)} before returning a result"}
        if ending is not None and len(got) < expected:
            ending["i"] = start + len(got)
            if streams.stderr_tail:
                ending["stderr_tail"] = streams.stderr_tail.decode("utf-8", errors="replace")
            got.append(ending)
        return got

    def _wait_child(self, pid: int, deadline: float):
        """The child's exit status, or None after killing it at `deadline`."""
        while True:
            waited, status = os.waitpid(pid, os.WNOHANG)
            if waited:
                return status
            if time.monotonic() >= deadline:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass
                os.waitpid(pid, 0)
                return None
            time.sleep(0.001)

    # After a job ------------------------------------------------------------
    def clean_up(self) -> None:
        """After a job (once its answer is out, before the next job may start): kill every
        candidate process, reap, empty the work dir. If anything stays, every later job is
        refused, so that the host replaces this sandbox."""
        self.clean = self.clean and self._clean_up()

    def _clean_up(self) -> bool:
        clean = True
        if os.listdir(self.job_dir):  # the harness's working directory is replaced: it goes
            self._retire_harness()
        keep = self.ready[0] if self.ready is not None else None
        if self.candidate_uid is not None and self.settings.get("sweep_candidate_uid"):
            clean = self._kill_candidate_processes(keep)
        self._reap()
        if keep is not None:
            try:  # no candidate process is left to stop it again; a pending stop is dropped
                os.kill(keep, signal.SIGCONT)
            except OSError:
                pass
        if self.ready is not None:
            self._drain(self.ready[3:])
        if os.listdir(self.job_dir):
            shutil.rmtree(self.job_dir, ignore_errors=True)
            self._make_job_dir()
        else:
            info = os.stat(self.job_dir)
            if info.st_mode & 0o7777 != 0o700:
                os.chmod(self.job_dir, 0o700)
        return clean and os.listdir(self.work_root) == ["work"]

    @staticmethod
    def _drain(fds) -> None:
        """Discard what the last job's processes (all dead now) left in the reused
        harness's output pipes, so that it is not counted against the next job."""
        while True:
            ready, _, _ = select.select(list(fds), [], [], 0)
            if not ready:
                return
            for fd in ready:
                if not os.read(fd, 1 << 16):
                    return  # end of file: the harness is gone; the next job finds out

    def _candidate_pids(self, keep: int | None = None) -> list[int]:
        pids = []
        for name in os.listdir("/proc"):
            if name.isdigit() and int(name) != keep:
                try:
                    if os.stat(f"/proc/{name}").st_uid == self.candidate_uid:
                        pids.append(int(name))
                except OSError:
                    continue
        return pids

    def _kill_candidate_processes(self, keep: int | None = None) -> bool:
        # This server is the sandbox's init: every candidate process, orphans included,
        # is its child, so a blocking wait returns as soon as a killed one is gone.
        for _ in range(100):
            pids = self._candidate_pids(keep)
            if not pids:
                return True
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            for pid in pids:
                try:
                    os.waitpid(pid, 0)
                except ChildProcessError:
                    pass
        return not self._candidate_pids(keep)

    def _reap(self) -> None:
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return


def serve() -> None:
    """Entry point inside the sandbox: settings frame, a hello, then one job per frame."""
    settings = read_frame(0)
    server = ForkServer(settings)
    kernel = ""
    try:
        with open("/proc/version", encoding="utf-8") as handle:
            kernel = handle.read().strip()
    except OSError:
        pass
    server.prepare_child()
    write_frame(1, {"hello": True, "kernel": kernel, "python": sys.version.split()[0],
                    "gvisor": os.path.exists("/proc/sentry-meminfo")})
    while True:
        request = read_frame(0)
        if request is None:
            return
        write_frame(1, {"ack": True})  # before any candidate code: failures until here
        try:                           # are the sandbox's own, and the host retries them
            answer = server.handle(request)
        except Exception as error:  # a server fault, not the candidate's: host recycles us
            answer = {"results": [], "clean": False,
                      "note": f"fork server fault: {type(error).__name__}: {_short(error)}"}
        write_frame(1, answer)
        # While the host reads the answer and sends the next job:
        server.clean_up()
        server.prepare_child()
