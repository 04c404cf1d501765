"""The candidate's process: prepared by the fork server before its job arrives, then
given one job on its control pipe (fd 4); reports one result frame per test on fd 3.

Preparation (`prepare`) is everything that does not depend on the job: a new session,
only fds 0-4 open, the unprivileged uid, a clean environment, and a warm-up that
touches the memory a job touches (under gVisor's ptrace platform copy-on-write faults
after fork are slow, so they are paid before the job's clock starts). Then the job's
stdin (stdio mode) and rlimits, then the code. Values are written as literal text by
`sandbox.transport.to_literal`; whatever this process reports is only the candidate's
own answer, compared outside. Standard library only (runs inside the sandbox).
"""
from __future__ import annotations

import ast
import builtins
import fcntl
import json
import os
import resource
import sys

from sandbox.framing import read_frame, write_frame
from sandbox.transport import NotPlainData, to_literal

RESULT_FD = 3
CONTROL_FD = 4
DETAIL_CHARS = 300


def _short(text: str) -> str:
    text = str(text)
    return text if len(text) <= DETAIL_CHARS else text[:DETAIL_CHARS] + "..."


def _error_result(index: int, error: BaseException) -> dict:
    import traceback  # only on errors: keeps the server small, so fork stays cheap
    frames = traceback.extract_tb(error.__traceback__)
    where = next((f"line {f.lineno}" for f in reversed(frames) if f.filename == "<candidate>"), "")
    try:
        message = str(error)
    except BaseException:  # a hostile __str__
        message = "<unprintable>"
    return {"i": index, "status": "memory" if isinstance(error, MemoryError) else "error",
            "error_type": type(error).__name__, "error_message": _short(message), "where": where}


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
    os.environ.clear()
    os.environ.update({"PATH": "/usr/bin:/bin", "HOME": job_dir, "LANG": "C.UTF-8"})
    sys.argv = ["solution.py"]


def _warm_up() -> None:
    """Touch, before the job arrives, the memory a job touches: under gVisor's ptrace
    platform every copy-on-write fault after fork is slow, so it is paid off the clock."""
    namespace: dict = {"__builtins__": builtins}
    exec(compile("def warm(x):\n    return [x, (x,), {x: str(x)}]\n", "<warm>", "exec"),
         namespace)
    json.loads(json.dumps({"value": to_literal(namespace["warm"](ast.literal_eval("(1,)")))}))


def _child_start_job(settings: dict, message: dict) -> None:
    """The job-dependent part: stdin (stdio mode) and the job's rlimits."""
    request, limits = message["request"], message["request"]["limits"]
    if request["kind"] == "stdio":
        with open(".stdin", "w", encoding="utf-8") as handle:
            handle.write(message["stdin"])
        descriptor = os.open(".stdin", os.O_RDONLY)
        os.unlink(".stdin")
        os.dup2(descriptor, 0)
        os.close(descriptor)
    memory = int(limits["memory_mb"]) << 20
    cpu = int(float(limits["wall_time_per_job_s"])) + 1
    file_size = int(limits["file_size_mb"]) << 20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
    if settings.get("limit_processes", True):
        processes = int(limits["processes"])
        resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
    sys.setrecursionlimit(10_000)


def _child_run(request: dict, start: int) -> None:
    kind = request["kind"]
    namespace = {"__name__": "__main__" if kind == "stdio" else "solution",
                 "__builtins__": builtins}
    try:
        compiled = compile(request["code"], "<candidate>", "exec")
        exec(compiled, namespace)
        if kind == "stdio":
            write_frame(RESULT_FD, {"i": start, "status": "ok"})
            return
        if kind == "assert":
            exec(compile(request["test_code"], "<tests>", "exec"), namespace)
            namespace["check"](namespace[request["entry_point"]])
            write_frame(RESULT_FD, {"i": start, "status": "ok"})
            return
        names = [request["entry_point"]] if kind == "function" else list(request["functions"])
        functions = {}
        for name in names:
            if not callable(namespace.get(name)):
                raise NameError(f"no function named {name!r} is defined")
            functions[name] = namespace[name]
    except SystemExit as error:
        if kind == "stdio" and error.code in (None, 0):
            write_frame(RESULT_FD, {"i": start, "status": "ok"})
            return
        result = _error_result(start, error)
        result["fatal"] = kind != "stdio"
        write_frame(RESULT_FD, result)
        return
    except BaseException as error:
        result = _error_result(start, error)
        result["fatal"] = kind != "stdio"
        write_frame(RESULT_FD, result)
        return
    for index in range(start, len(request["inputs"])):
        if kind == "function":
            write_frame(RESULT_FD, _call_one(functions[names[0]], request["inputs"][index], index))
        else:
            calls = {name: _call_one(function, request["inputs"][index], index)
                     for name, function in functions.items()}
            write_frame(RESULT_FD, {"i": index, "status": "ok", "calls": calls})


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


def child_main(settings, job_dir, control_fd, out_fd, err_fd, result_fd, null_fd):
    """Run in the freshly forked child; never returns."""
    try:
        _child_prepare(settings, job_dir, control_fd, out_fd, err_fd, result_fd, null_fd)
        _warm_up()
        message = read_frame(CONTROL_FD)
        if message is None:
            os._exit(0)
        os.close(CONTROL_FD)
        _child_start_job(settings, message)
        _child_run(message["request"], message["start"])
        try:
            sys.stdout.flush()
        except BaseException:
            pass
        os._exit(0)
    except BaseException:
        os._exit(70)
