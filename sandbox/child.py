"""The processes of one job inside the sandbox: the harness (this module's
`child_main`), forked by the fork server ahead of demand and reused from job to job,
and, for calls, the candidate's own process (`_callee_main`), forked fresh for every
job. Standard library only (runs inside the sandbox).

Who decides what (the result channel, fd 3, is the harness's, never the candidate's):
- stdio mode: the harness closes fd 3 and becomes the candidate's program; the fork
  server judges the process from outside (its exit status, its output, the clock).
- function, reference and assert modes: candidate code runs only in a second process,
  the callee, forked by the harness with none of the harness's descriptors; it serves
  calls over its own pipes (function and reference modes: every call of the job in one
  request, each answered as it finishes; assert mode: one call per request, as the
  tests make them), answering with the literal text of the value
  (`sandbox.transport.to_literal`). The harness validates every reply, parses it
  without evaluating code and writes the result frames; in assert mode it runs the
  benchmark's `check(candidate)` itself against a proxy that calls the callee, so an
  assert compares plain values in a process the candidate cannot reach. The harness is
  not dumpable, so the callee (same uid) can neither trace it nor read its memory; the
  result pipe was made by the fork server (root), so reopening it through
  `/proc/<harness>/fd/3` is refused (tests/sandbox/test_hostile.py, "channel" cases).
  The callee can only kill or stop the harness, which is a crash or a timeout, never a
  pass, and the fork server then replaces the harness.

Reuse: after each job the harness kills its callee, says {"idle": true} and waits; the
fork server then kills every other candidate-uid process and, on {"prepare": true},
the harness forks the next callee ahead of demand. A harness is reused only after a
job that ended cleanly under the same limits (at most 200 jobs); test code runs in a
fresh namespace each time (it is the benchmark's, not the candidate's).

Preparation (`_child_prepare`, `_warm_up`, the callee fork) is everything that does not
depend on the job: a new session, only fds 0-4 open, the unprivileged uid, a clean
environment, and a warm-up that touches the memory a job touches (under gVisor's ptrace
platform copy-on-write faults after fork are slow, so they are paid before the job's
clock starts). Then the job's stdin (stdio mode) and rlimits, then the code.
"""
from __future__ import annotations

import ast
import builtins
import ctypes
import fcntl
import json
import os
import resource
import signal
import sys

from sandbox.framing import read_frame, write_frame
from sandbox.transport import NotPlainData, from_literal, to_literal

RESULT_FD = 3
CONTROL_FD = 4
DETAIL_CHARS = 300
MEMORY_EXIT = 99  # stdio mode: the program died of MemoryError (its exit status says so)
REPLY_STATUSES = ("ok", "error", "memory")
PR_SET_DUMPABLE = 4
# Signals the reused harness ignores, so that a candidate process (same uid) can only
# stop or kill it during its own job; the fork server resumes it (SIGCONT) after the
# sweep and retries a job whose harness died before starting it. The callee and a stdio
# program get the default dispositions back.
HARNESS_IGNORES = tuple(getattr(signal, name) for name in (
    "SIGHUP", "SIGINT", "SIGQUIT", "SIGTERM", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGVTALRM",
    "SIGPROF", "SIGXCPU", "SIGXFSZ", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGIO", "SIGPWR",
    "SIGSTKFLT", "SIGWINCH", "SIGURG") if hasattr(signal, name))


def _short(text) -> str:
    try:
        text = str(text)
    except BaseException:  # a hostile __str__
        return "<unprintable>"
    return text if len(text) <= DETAIL_CHARS else text[:DETAIL_CHARS] + "..."


def _error_result(index: int, error: BaseException) -> dict:
    import traceback  # only on errors: keeps the server small, so fork stays cheap
    frames = traceback.extract_tb(error.__traceback__)
    where = next((f"line {f.lineno}" for f in reversed(frames) if f.filename == "<candidate>"), "")
    return {"i": index, "status": "memory" if isinstance(error, MemoryError) else "error",
            "error_type": _short(type(error).__name__), "error_message": _short(error),
            "where": where}


def _child_prepare(settings: dict, job_dir: str, control_fd: int, out_fd: int, err_fd: int,
                   result_fd: int, null_fd: int) -> None:
    """Everything that does not depend on the job: new session, fds, unprivileged uid.

    The server never reads or writes through sys.stdin/sys.stdout (it uses raw fds), so
    those objects hold no buffered data and simply follow the new fds 0/1/2.
    """
    os.setsid()
    sources = [fcntl.fcntl(fd, fcntl.F_DUPFD, 64)  # out of the way of the targets 0..4
               for fd in (null_fd, out_fd, err_fd, result_fd, control_fd)]
    for target, source in enumerate(sources):
        os.dup2(source, target)
    os.closerange(CONTROL_FD + 1, 65536)
    os.chdir(job_dir)
    uid = settings.get("candidate_uid")
    if uid is not None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    _not_dumpable()
    os.environ.clear()
    os.environ.update({"PATH": "/usr/bin:/bin", "HOME": job_dir, "LANG": "C.UTF-8"})
    sys.argv = ["solution.py"]


def _not_dumpable() -> None:
    """No ptrace or /proc/<pid>/{mem,fd} access to this process for its own uid."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


def _warm_up() -> None:
    """Touch, before the job arrives, the memory a job touches: under gVisor's ptrace
    platform every copy-on-write fault after fork is slow, so it is paid off the clock."""
    namespace: dict = {"__builtins__": builtins}
    exec(compile("def warm(x):\n    return [x, (x,), {x: str(x)}]\n", "<warm>", "exec"),
         namespace)
    json.loads(json.dumps({"value": to_literal(namespace["warm"](ast.literal_eval("(1,)")))}))


def _set_limits(limits: dict, limit_processes: bool, renewable_cpu: bool = False) -> None:
    """The job's rlimits. `renewable_cpu` (the reused harness): the CPU limit is a soft
    limit counted from the CPU time used so far, renewed for each job."""
    memory = int(limits["memory_mb"]) << 20
    cpu = int(float(limits["wall_time_per_job_s"])) + 1
    file_size = int(limits["file_size_mb"]) << 20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    if renewable_cpu:
        _renew_cpu_limit(limits)
    else:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
    if limit_processes:
        processes = int(limits["processes"])
        resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
    sys.setrecursionlimit(10_000)


def _renew_cpu_limit(limits: dict) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = int(usage.ru_utime + usage.ru_stime)
    cpu = used + int(float(limits["wall_time_per_job_s"])) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, resource.RLIM_INFINITY))


# ------------------------------------------------------------------ the callee
class _Callee:
    """The harness's handle on the candidate's process: fork, load, call, replace."""

    def __init__(self):
        self.pid = None
        self.calls_w = self.replies_r = -1
        self.load_message: dict | None = None
        self.reply_limit = 1 << 20
        self.fork(warm=True)

    def fork(self, warm: bool) -> None:
        calls_r, calls_w = os.pipe()
        replies_r, replies_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                _callee_main(calls_r, replies_w, warm)
            finally:
                os._exit(70)
        os.close(calls_r)
        os.close(replies_w)
        self.pid, self.calls_w, self.replies_r = pid, calls_w, replies_r

    def discard(self) -> None:
        for fd in (self.calls_w, self.replies_r):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.pid is not None:
            try:
                os.kill(self.pid, 9)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
        self.pid = None

    def load(self, message: dict, reply_limit: int) -> dict:
        """Send the code; a unit result: {"status": "ok"} or the candidate's failure."""
        self.load_message, self.reply_limit = message, reply_limit
        return self._ask(message, 0)

    def call(self, name: str, arguments_text: str, index: int) -> dict:
        """One call's unit result, validated and rebuilt from the callee's reply."""
        if self.pid is None:  # the last call killed it: a fresh one for this call
            self.fork(warm=False)
            loaded = self._ask(self.load_message, index)
            if loaded["status"] != "ok":
                return loaded
        return self._ask({"f": name, "args": arguments_text}, index)

    def call_batch(self, calls: list):
        """The unit results of `calls` ((name, arguments text, index) each), in order, from
        one request per callee: the callee runs them back to back and answers each as it
        finishes. A call that ends the callee costs only the calls after it a fresh
        callee (and its load), exactly as one call at a time would."""
        position = 0
        while position < len(calls):
            if self.pid is None:
                self.fork(warm=False)
                loaded = self._ask(self.load_message, calls[position][2])
                if loaded["status"] != "ok":
                    yield loaded
                    position += 1
                    continue
            try:
                write_frame(self.calls_w, {"batch": [[name, arguments]
                                                     for name, arguments, _ in calls[position:]]})
            except OSError:
                yield self._crashed(calls[position][2])
                position += 1
                continue
            while position < len(calls) and self.pid is not None:
                yield self._receive(calls[position][2], need_literal=True)
                position += 1

    def _ask(self, message: dict, index: int) -> dict:
        try:
            write_frame(self.calls_w, message)
        except OSError:
            return self._crashed(index)
        return self._receive(index, need_literal="f" in message)

    def _receive(self, index: int, need_literal: bool) -> dict:
        try:
            reply = read_frame(self.replies_r, max_bytes=self.reply_limit)
        except OverflowError:
            self.discard()
            return {"i": index, "status": "output_limit",
                    "error_message": f"a result exceeded {self.reply_limit} bytes"}
        except (OSError, ValueError, RecursionError, MemoryError):
            reply = "malformed"
        if reply is None:
            return self._crashed(index)
        unit = _clean_reply(reply, index, need_literal=need_literal)
        if unit is None:
            self.discard()
            return {"i": index, "status": "error", "error_type": "ProtocolViolation",
                    "error_message": "malformed reply from the candidate's process"}
        return unit

    def _crashed(self, index: int) -> dict:
        pid = self.pid
        self.discard()
        return {"i": index, "status": "crash", "error_type": "Crash",
                "error_message": f"the candidate's process (pid {pid}) ended before answering"}


def _clean_reply(reply, index: int, need_literal: bool) -> dict | None:
    """The callee's reply as a unit result with only known, well-typed fields, or None."""
    if not isinstance(reply, dict) or reply.get("status") not in REPLY_STATUSES:
        return None
    unit = {"i": index, "status": reply["status"]}
    if reply["status"] == "ok":
        if need_literal:
            if not isinstance(reply.get("literal"), str):
                return None
            unit["literal"] = reply["literal"]
        return unit
    for field in ("error_type", "error_message", "where"):
        value = reply.get(field, "")
        if not isinstance(value, str):
            return None
        unit[field] = _short(value)
    return unit


def _default_signals() -> None:
    for number in HARNESS_IGNORES:
        signal.signal(number, signal.default_int_handler if number == signal.SIGINT
                      else signal.SIG_DFL)


def _callee_main(calls_r: int, replies_w: int, warm: bool) -> None:
    """The candidate's process: load the code, then answer one call per frame."""
    _default_signals()
    os.dup2(replies_w, RESULT_FD)
    os.dup2(calls_r, CONTROL_FD)
    os.closerange(CONTROL_FD + 1, 65536)
    if warm:
        _warm_up()
    message = read_frame(CONTROL_FD)
    if message is None:
        os._exit(0)
    _set_limits(message["limits"], message["limit_processes"])
    namespace = {"__name__": "solution", "__builtins__": builtins}
    functions = {}
    try:
        exec(compile(message["code"], "<candidate>", "exec"), namespace)
        for name in message["functions"]:
            if not callable(namespace.get(name)):
                raise NameError(f"no function named {name!r} is defined")
            functions[name] = namespace[name]
    except BaseException as error:
        write_frame(RESULT_FD, _error_result(0, error))
        os._exit(0)
    write_frame(RESULT_FD, {"status": "ok"})
    while True:
        call = read_frame(CONTROL_FD)
        if call is None:
            os._exit(0)
        for name, arguments in call["batch"] if "batch" in call else [(call["f"], call["args"])]:
            write_frame(RESULT_FD, _call_one(functions[name], arguments, 0))
            try:
                sys.stdout.flush()
            except BaseException:
                pass


def _call_one(function, arguments_text: str, index: int) -> dict:
    try:
        arguments = ast.literal_eval(arguments_text)
        value = function(*arguments)
        try:
            return {"i": index, "status": "ok", "literal": to_literal(value)}
        except NotPlainData as error:
            return {"i": index, "status": "error", "error_type": "NotPlainData",
                    "error_message": _short(error), "where": ""}
    except BaseException as error:
        return _error_result(index, error)


# ------------------------------------------------------------------ the harness
class _CandidateFailed(Exception):
    """The candidate's function raised (assert mode sees it as the call's exception)."""


class _CandidateBroke(BaseException):
    """The candidate's process crashed, ran out of memory or broke the protocol."""


def _run_stdio(code: str) -> None:
    """Become the candidate's program; the exit status is the only report. Never returns."""
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    status = 0
    try:
        exec(compile(code, "<candidate>", "exec"), namespace)
    except SystemExit as error:
        if error.code is None:
            status = 0
        elif isinstance(error.code, int) and not isinstance(error.code, bool):
            status = error.code & 0xFF
        else:
            status = 1
        if status:
            _write_stderr(f"SystemExit: {_short(error.code)}\n")
    except MemoryError:
        status = MEMORY_EXIT
    except BaseException as error:
        details = _error_result(0, error)
        _write_stderr(f"{details['error_type']}: {details['error_message']} "
                      f"{details['where']}\n")
        status = 1
    try:
        sys.stdout.flush()
    except BaseException:
        pass
    os._exit(status)


def _write_stderr(text: str) -> None:
    try:
        os.write(2, text.encode("utf-8", errors="replace"))
    except OSError:
        pass


def _run_calls(callee: _Callee, request: dict, start: int) -> None:
    kind = request["kind"]
    names = [request["entry_point"]] if kind in ("function", "assert") else list(
        request["functions"])
    reply_limit = int(request["limits"]["output_bytes"]) + 1024
    loaded = callee.load({"code": request["code"], "functions": names,
                          "limits": request["limits"],
                          "limit_processes": request.get("limit_processes", True)},
                         reply_limit)
    if loaded["status"] != "ok":
        loaded.update(i=start, fatal=True)
        write_frame(RESULT_FD, loaded)
        return
    if kind == "assert":
        write_frame(RESULT_FD, _run_check(callee, request, start))
        return
    # Every call is known up front: one batch, each result passed on as it arrives.
    inputs = request["inputs"]
    replies = callee.call_batch([(name, inputs[index], index)
                                 for index in range(start, len(inputs)) for name in names])
    for index in range(start, len(inputs)):
        if kind == "function":
            unit = next(replies)
        else:
            calls = {}
            for name in names:
                calls[name] = next(replies)
                calls[name].pop("i", None)
            unit = {"i": index, "status": "ok", "calls": calls}
        write_frame(RESULT_FD, unit)


def _run_check(callee: _Callee, request: dict, start: int) -> dict:
    """The benchmark's own `check(candidate)`, run here with a proxy for the candidate."""
    broken: list = []

    def candidate(*arguments, **keywords):
        if keywords:
            raise TypeError("the sandbox's candidate proxy takes positional arguments only")
        unit = callee.call(request["entry_point"], to_literal(arguments), start)
        if unit["status"] == "ok":
            return from_literal(unit["literal"])
        if unit["status"] == "error":
            raise _CandidateFailed(f"{unit['error_type']}: {unit['error_message']}")
        broken.append(unit)
        raise _CandidateBroke(unit.get("error_message", ""))

    try:
        namespace = {"__name__": "tests", "__builtins__": builtins}
        exec(compile(request["test_code"], "<tests>", "exec"), namespace)
        namespace[request["entry_point"]] = candidate  # tests may call it by name too
        namespace["check"](candidate)
    except BaseException as error:
        if broken:
            return dict(broken[-1], i=start)
        result = _error_result(start, error)
        if isinstance(error, _CandidateFailed):
            result["error_type"] = "CandidateError"
        return result
    if broken:  # a test that caught the crash does not turn it into a pass
        return dict(broken[-1], i=start)
    return {"i": start, "status": "ok"}


def child_main(settings, job_dir, control_fd, out_fd, err_fd, result_fd, null_fd):
    """Run in the freshly forked child (the harness); never returns.

    The harness serves jobs until its control pipe closes: after each function,
    reference or assert job it discards the job's callee (killed and reaped), writes
    {"idle": true} and waits; a {"prepare": true} message makes it fork the next job's
    callee ahead of demand. A stdio job consumes it (it becomes the program).
    """
    try:
        _child_prepare(settings, job_dir, control_fd, out_fd, err_fd, result_fd, null_fd)
        _warm_up()
        limit_processes = settings.get("limit_processes", True)
        for number in HARNESS_IGNORES:
            signal.signal(number, signal.SIG_IGN)
        callee: _Callee | None = _Callee()
        limited = False
        while True:
            message = read_frame(CONTROL_FD)
            if message is None:
                if callee is not None:
                    callee.discard()
                os._exit(0)
            if message.get("prepare"):
                if callee is None:
                    callee = _Callee()
                continue
            write_frame(RESULT_FD, {"start": True})  # alive and taking this job
            request = message["request"]
            if request["kind"] == "stdio":
                if callee is not None:
                    callee.discard()
                _default_signals()
                os.close(RESULT_FD)  # the program's exit status and output are its only report
                os.close(CONTROL_FD)
                _start_stdio(message["stdin"])
                _set_limits(request["limits"], limit_processes)
                _run_stdio(request["code"])
            request["limit_processes"] = limit_processes
            if not limited:  # the fork server sends this harness only jobs with these limits
                _set_limits(request["limits"], limit_processes, renewable_cpu=True)
                limited = True
            else:
                _renew_cpu_limit(request["limits"])
            if callee is None:
                callee = _Callee()
            _run_calls(callee, request, message["start"])
            callee.discard()
            callee = None
            write_frame(RESULT_FD, {"idle": True})
    except BaseException:
        os._exit(70)


def _start_stdio(stdin: str) -> None:
    with open(".stdin", "w", encoding="utf-8") as handle:
        handle.write(stdin)
    descriptor = os.open(".stdin", os.O_RDONLY)
    os.unlink(".stdin")
    os.dup2(descriptor, 0)
    os.close(descriptor)
