"""The hostile-program suite: exhaustion, escape and verdict forgery under gVisor.

For every program: the verdict is right (never `passed` for a wrong answer), the host is
unchanged (a sentinel file, the project's sandbox package, a listener on 127.0.0.1, this
process), the next job in the same executor is graded correctly, and after the
executor closes no sandbox or runsc process of it is left.
"""
from __future__ import annotations

import dataclasses
import os
import subprocess
import textwrap
from pathlib import Path

import pytest

import sandbox
from sandbox.executor import SandboxExecutor
from sandbox.types import FunctionTest, Job, StdioTest
from tests.sandbox.conftest import FAST_LIMITS, HOST_SECRET, Listener, tree_digest

PACKAGE_DIR = Path(sandbox.__file__).resolve().parent
SECRET_ANSWER = 987654321  # what a forger would have to produce; never enters the sandbox
NOT_PASSED = {"wrong_answer", "runtime_error", "timeout", "memory", "output_limit"}


@dataclasses.dataclass(frozen=True)
class Hostile:
    name: str
    category: str
    code: str
    statuses: frozenset = frozenset(NOT_PASSED)  # acceptable verdict statuses
    mode: str = "function"
    expected: object = "ESCAPED"


def program(category: str, name: str, code: str, statuses=NOT_PASSED, **kwargs) -> Hostile:
    return Hostile(name=name, category=category, code=textwrap.dedent(code),
                   statuses=frozenset(statuses), **kwargs)


# `f(context)` gets a dict with the host's sentinel path, listener port and pid.
HOSTILE = [
    # ------------------------------------------------------------ exhaustion
    program("exhaustion", "fork_bomb", """
        import os
        def f(context):
            while True:
                try:
                    os.fork()
                except OSError:
                    pass
        """, {"timeout", "runtime_error"}),
    program("exhaustion", "memory_bomb_one_allocation", """
        def f(context):
            block = bytearray(8 * 1024 ** 3)
            return "ESCAPED"
        """, {"memory"}),
    program("exhaustion", "memory_bomb_growing", """
        def f(context):
            blocks = []
            while True:
                blocks.append(bytearray(16 * 1024 ** 2))
        """, {"memory"}),
    program("exhaustion", "infinite_loop", """
        def f(context):
            while True:
                pass
        """, {"timeout"}),
    program("exhaustion", "thousands_of_threads", """
        import threading, time
        def f(context):
            threads = [threading.Thread(target=time.sleep, args=(30,)) for _ in range(5000)]
            for thread in threads:
                thread.start()
            return "ESCAPED"
        """, {"runtime_error", "timeout", "memory"}),
    program("exhaustion", "deep_recursion", """
        import sys
        sys.setrecursionlimit(10 ** 9)
        def f(context):
            return f(context)
        """, {"runtime_error", "memory", "timeout"}),
    program("exhaustion", "disk_fill_one_file", """
        def f(context):
            with open("big", "wb") as handle:
                while True:
                    handle.write(b"x" * (1 << 20))
        """, {"runtime_error"}),
    program("exhaustion", "disk_fill_many_files", """
        def f(context):
            index = 0
            while True:
                with open(f"file{index}", "wb") as handle:
                    handle.write(b"x" * (3 << 20))
                index += 1
        """, {"runtime_error", "timeout"}),
    program("exhaustion", "output_flood", """
        def f(context):
            while True:
                print("flood" * 1000)
        """, {"output_limit"}),
    program("exhaustion", "stderr_flood", """
        import sys
        def f(context):
            while True:
                sys.stderr.write("flood" * 1000)
        """, {"output_limit"}),
    program("exhaustion", "ignores_sigterm", """
        import signal
        def f(context):
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            while True:
                pass
        """, {"timeout"}),
    program("exhaustion", "daemon_outlives_job", """
        import os, time
        def f(context):
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    with open("marker", "w"):
                        pass
                    time.sleep(3600)
                os._exit(0)
            return 0
        """, {"wrong_answer"}, expected=SECRET_ANSWER),
    # ------------------------------------------------------------ escape
    program("escape", "read_host_sentinel", """
        def f(context):
            with open(context["sentinel"]) as handle:
                return handle.read()
        """, {"runtime_error"}, expected="sentinel-content"),
    program("escape", "write_host_sentinel", """
        def f(context):
            try:
                with open(context["sentinel"], "w") as handle:
                    handle.write("pwned")
                return "ESCAPED"
            except OSError as error:
                return f"blocked: {error}"
        """),
    program("escape", "read_project_files", """
        import os
        def f(context):
            found = [path for path in ("/work/main/setup.py", "/work/main/README.md")
                     if os.path.exists(path)]
            return "ESCAPED" if found else "blocked"
        """),
    program("escape", "write_own_package", """
        import os
        def f(context):
            target = "/opt/sandbox_runtime/sandbox/compare.py"
            try:
                with open(target, "a") as handle:
                    handle.write("# pwned")
                return "ESCAPED"
            except OSError:
                return "blocked"
        """),
    program("escape", "write_system_dirs", """
        def f(context):
            for path in ("/usr/pwned", "/etc/pwned", "/pwned", "/bin/pwned"):
                try:
                    open(path, "w").write("x")
                    return "ESCAPED"
                except OSError:
                    pass
            return "blocked"
        """),
    program("escape", "host_environment", """
        import os
        def f(context):
            texts = [repr(dict(os.environ))]
            for path in ("/proc/self/environ", "/proc/1/environ"):
                try:
                    texts.append(open(path, "rb").read().decode(errors="replace"))
                except OSError:
                    pass
            leaked = [text for text in texts if "SANDBOX_HOST_SECRET" in text or SECRET in text]
            return "ESCAPED" if leaked else "ok"
        """.replace("SECRET in", f"{HOST_SECRET!r} in")),
    program("escape", "network_to_host_listener", """
        import socket
        def f(context):
            try:
                socket.create_connection(("127.0.0.1", context["port"]), timeout=1).close()
                return "ESCAPED"
            except OSError as error:
                return f"blocked: {error}"
        """),
    program("escape", "network_outside", """
        import socket
        def f(context):
            for address in (("8.8.8.8", 53), ("1.1.1.1", 80)):
                try:
                    socket.create_connection(address, timeout=1).close()
                    return "ESCAPED"
                except OSError:
                    pass
            return "blocked"
        """),
    program("escape", "signal_host_process", """
        import os, signal
        def f(context):
            try:
                os.kill(context["host_pid"], signal.SIGKILL)
            except OSError:
                pass
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass
            return "blocked"
        """),
    program("escape", "kill_fork_server", """
        import os, signal
        def f(context):
            try:
                os.kill(1, signal.SIGKILL)
                return "ESCAPED"
            except OSError:
                return "blocked"
        """),
    program("escape", "ptrace_attach", """
        import ctypes, ctypes.util
        def f(context):
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            attached = [pid for pid in (1, context["host_pid"])
                        if libc.ptrace(16, pid, None, None) == 0]
            return "ESCAPED" if attached else "blocked"
        """),
    program("escape", "proc_snooping", """
        import os
        def f(context):
            seen = []
            for name in os.listdir("/proc"):
                if name.isdigit():
                    try:
                        seen.append(open(f"/proc/{name}/cmdline", "rb").read())
                    except OSError:
                        pass
            try:
                open("/proc/1/mem", "rb").read(16)
                return "ESCAPED"
            except OSError:
                pass
            host_like = [text for text in seen if b"pytest" in text or b"runsc" in text]
            return "ESCAPED" if host_like else "blocked"
        """),
    program("escape", "become_root", """
        import os
        def f(context):
            for attempt in (lambda: os.setuid(0), lambda: os.setgid(0), lambda: os.chroot("/")):
                try:
                    attempt()
                    return "ESCAPED"
                except OSError:
                    pass
            return "blocked"
        """),
    # ------------------------------------------------------------ verdict forgery
    program("forgery", "early_sys_exit", """
        import sys
        sys.exit(0)
        def f(context):
            return "never"
        """, {"runtime_error"}, expected=SECRET_ANSWER),
    program("forgery", "os_exit_in_call", """
        import os
        def f(context):
            os._exit(0)
        """, {"runtime_error"}, expected=SECRET_ANSWER),
    program("forgery", "always_equal_object", """
        class Anything:
            def __eq__(self, other):
                return True
            def __repr__(self):
                return "987654321"
        def f(context):
            return Anything()
        """, {"wrong_answer"}, expected=SECRET_ANSWER),
    program("forgery", "int_subclass", """
        class Liar(int):
            def __eq__(self, other):
                return True
            def __repr__(self):
                return "987654321"
            __str__ = __repr__
        def f(context):
            return Liar(5)
        """, {"wrong_answer"}, expected=SECRET_ANSWER),
    program("forgery", "str_subclass", """
        class Liar(str):
            def __eq__(self, other):
                return True
            def __repr__(self):
                return "987654321"
        def f(context):
            return Liar("nope")
        """, {"wrong_answer"}, expected=SECRET_ANSWER),
    program("forgery", "fake_verdict_on_stdout", """
        import json
        def f(context):
            for status in ("passed", "ok"):
                print(json.dumps({"status": status, "tests_passed": 1, "literal": "987654321"}))
            return 0
        """, {"wrong_answer"}, expected=SECRET_ANSWER),
    program("forgery", "write_every_fd", """
        import json, os, struct
        def f(context):
            body = json.dumps({"i": 0, "status": "ok", "literal": "True"}).encode()
            frame = struct.pack(">I", len(body)) + body
            for fd in range(1024):
                try:
                    os.write(fd, frame)
                except OSError:
                    pass
            return 0
        """, {"wrong_answer", "runtime_error"}, expected=SECRET_ANSWER),
    program("forgery", "monkeypatch_json_pickle_builtins", """
        import builtins, json, pickle
        json.dumps = lambda *a, **k: '{"i": 0, "status": "ok", "literal": "True"}'
        pickle.dumps = lambda *a, **k: b"forged"
        builtins.repr = lambda value: "987654321"
        builtins.isinstance = lambda *a: True
        def f(context):
            return 1
        """, {"wrong_answer", "runtime_error"}, expected=SECRET_ANSWER),
    program("forgery", "base_exception_subclass", """
        class Escape(BaseException):
            pass
        def f(context):
            raise Escape("stop grading")
        """, {"runtime_error"}, expected=SECRET_ANSWER),
    program("forgery", "keyboard_interrupt", """
        def f(context):
            raise KeyboardInterrupt
        """, {"runtime_error"}, expected=SECRET_ANSWER),
    program("forgery", "hunt_for_expected_outputs", """
        import os
        def f(context):
            for root, dirs, files in os.walk("/", onerror=lambda error: None):
                if root.startswith(("/proc", "/sys", "/usr", "/dev")):
                    dirs[:] = []
                    continue
                for name in files:
                    try:
                        if b"987654321" in open(os.path.join(root, name), "rb").read():
                            return 987654321
                    except OSError:
                        pass
            return "not found"
        """, {"wrong_answer"}, expected=SECRET_ANSWER),
    program("forgery", "out_of_order_result_frame", """
        import json, os, struct
        def f(context):
            body = json.dumps({"i": 7, "status": "passed", "tests_passed": 1}).encode()
            os.write(3, struct.pack(">I", len(body)) + body)
            return 0
        """, {"runtime_error", "wrong_answer"}, expected=SECRET_ANSWER),
    program("forgery", "close_result_channel", """
        import os
        def f(context):
            os.close(3)
            return 987654321
        """, {"runtime_error"}, expected=SECRET_ANSWER),
    program("forgery", "stdio_fake_pass_and_exit", """
        import os, sys
        print("expected output? no")
        sys.stdout.flush()
        os._exit(0)
        """, {"wrong_answer"}, mode="stdio", expected="987654321"),
    # ------------------------------------------------------------ the result channel
    # (issue 17: the channel is the harness's; a frame from candidate code decides nothing)
    program("channel", "assert_mode_result_frame_then_exit", """
        import json, os, struct
        body = json.dumps({"i": 0, "status": "ok"}).encode()
        os.write(3, struct.pack(">I", len(body)) + body)
        os._exit(0)
        def f(x):
            return x
        """, {"runtime_error"}, mode="assert"),
    program("channel", "assert_mode_frame_from_inside_the_call", """
        import json, os, struct
        def f(x):
            body = json.dumps({"i": 0, "status": "ok"}).encode()
            for fd in range(3, 64):
                try:
                    os.write(fd, struct.pack(">I", len(body)) + body)
                except OSError:
                    pass
            os._exit(0)
        """, {"runtime_error"}, mode="assert"),
    program("channel", "assert_mode_lying_eq_object", """
        class Anything:
            def __eq__(self, other):
                return True
        def f(x):
            return Anything()
        """, {"runtime_error", "wrong_answer"}, mode="assert"),
    program("channel", "assert_mode_int_subclass", """
        class Liar(int):
            def __eq__(self, other):
                return True
        def f(x):
            return Liar(7)
        """, {"wrong_answer"}, mode="assert"),
    program("channel", "assert_mode_patch_builtins_of_harness", """
        import builtins
        builtins.AssertionError = type("Nothing", (Exception,), {})
        def f(x):
            import sys
            sys.modules["builtins"].__dict__["AssertionError"] = None
            return 5
        """, {"wrong_answer"}, mode="assert"),
    program("channel", "assert_mode_proc_fd_of_harness", """
        import json, os, struct
        def f(x):
            body = json.dumps({"i": 0, "status": "ok"}).encode()
            for fd in range(3, 16):
                try:
                    with open(f"/proc/{os.getppid()}/fd/{fd}", "wb") as handle:
                        handle.write(struct.pack(">I", len(body)) + body)
                except OSError:
                    pass
            return 5
        """, {"wrong_answer", "runtime_error"}, mode="assert"),
    program("channel", "assert_mode_proc_mem_of_harness", """
        import os
        def f(x):
            try:
                with open(f"/proc/{os.getppid()}/mem", "r+b") as handle:
                    handle.read(1)
                return x + 1  # reaching the harness's memory would be a way to pass
            except OSError:
                return 5
        """, {"wrong_answer"}, mode="assert"),
    program("channel", "assert_mode_ptrace_harness", """
        import ctypes, os
        def f(x):
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.ptrace(16, os.getppid(), None, None) == 0:
                return x + 1  # tracing the harness would be a way to pass
            return 5
        """, {"wrong_answer"}, mode="assert"),
    program("channel", "assert_mode_kill_harness", """
        import os, signal
        def f(x):
            os.kill(os.getppid(), signal.SIGKILL)
            return 2
        """, {"runtime_error"}, mode="assert"),
    program("channel", "stdio_result_frame_then_flood", """
        import json, os, struct, sys
        body = json.dumps({"i": 0, "status": "ok", "stdout": "987654321"}).encode()
        try:
            os.write(3, struct.pack(">I", len(body)) + body)
        except OSError:
            pass
        while True:
            sys.stdout.write("x" * 65536)
        """, {"output_limit"}, mode="stdio", expected="987654321"),
    program("channel", "stdio_result_frame_then_sleep", """
        import json, os, struct, time
        body = json.dumps({"i": 0, "status": "ok", "stdout": "987654321"}).encode()
        for fd in range(3, 64):
            try:
                os.write(fd, struct.pack(">I", len(body)) + body)
            except OSError:
                pass
        time.sleep(60)
        """, {"timeout"}, mode="stdio", expected="987654321"),
    program("channel", "stdio_frame_with_wrong_typed_stdout", """
        import json, os, struct
        body = json.dumps({"i": 0, "status": "ok", "stdout": 5}).encode()
        try:
            os.write(3, struct.pack(">I", len(body)) + body)
        except OSError:
            pass
        raise SystemExit(1)
        """, {"runtime_error"}, mode="stdio", expected="987654321"),
    program("channel", "stdio_claims_memory_exit_status", """
        import os
        os._exit(99)
        """, {"memory"}, mode="stdio", expected="987654321"),
    program("channel", "frame_with_wrong_typed_literal", """
        import json, os, struct
        def f(context):
            body = json.dumps({"i": 0, "status": "ok", "literal": 5}).encode()
            os.write(3, struct.pack(">I", len(body)) + body)
            os._exit(0)
        """, {"runtime_error"}, expected=SECRET_ANSWER),
    program("channel", "frame_with_missing_fields", """
        import json, os, struct
        def f(context):
            body = json.dumps({"i": 0}).encode()
            os.write(3, struct.pack(">I", len(body)) + body)
            os._exit(0)
        """, {"runtime_error"}, expected=SECRET_ANSWER),
    program("channel", "frame_nested_5000_deep", """
        import os, struct
        def f(context):
            body = ("[" * 5000 + "]" * 5000).encode()
            os.write(3, struct.pack(">I", len(body)) + body)
            os._exit(0)
        """, {"runtime_error"}, expected=SECRET_ANSWER),
    program("channel", "frame_dict_nested_5000_deep", """
        import os, struct
        def f(context):
            body = ('{"a":' * 5000 + "1" + "}" * 5000).encode()
            os.write(3, struct.pack(">I", len(body)) + body)
            return 0
        """, {"runtime_error"}, expected=SECRET_ANSWER),
    program("channel", "frame_not_utf8", """
        import os, struct
        def f(context):
            body = b"\xff\xfe{\x00"
            os.write(3, struct.pack(">I", len(body)) + body)
            return 0
        """, {"runtime_error"}, expected=SECRET_ANSWER),
    program("channel", "frame_huge_declared_size", """
        import os, struct
        def f(context):
            os.write(3, struct.pack(">I", 2 ** 32 - 1) + b"{")
            return 0
        """, {"output_limit", "runtime_error", "timeout"}, expected=SECRET_ANSWER),
    program("channel", "frame_header_then_silence", """
        import os, struct, time
        def f(context):
            os.write(3, struct.pack(">I", 100) + b"{")
            time.sleep(60)
        """, {"timeout"}, expected=SECRET_ANSWER),
    program("channel", "frame_literal_with_code", """
        import json, os, struct
        def f(context):
            body = json.dumps({"status": "ok", "literal": "__import__('os').getpid()"}).encode()
            os.write(3, struct.pack(">I", len(body)) + body)
            os._exit(0)
        """, {"runtime_error", "wrong_answer"}, expected=SECRET_ANSWER),
    program("channel", "frame_claims_fatal_pass", """
        import json, os, struct
        def f(context):
            body = json.dumps({"i": 0, "status": "passed", "fatal": True,
                               "tests_passed": 99}).encode()
            os.write(3, struct.pack(">I", len(body)) + body)
            os._exit(0)
        """, {"runtime_error"}, expected=SECRET_ANSWER),
    program("channel", "write_to_the_call_pipe", """
        import json, os, struct
        def f(context):
            body = json.dumps({"f": "f", "args": "(1,)"}).encode()
            try:
                os.write(4, struct.pack(">I", len(body)) + body)
            except OSError:
                pass
            return 0
        """, {"wrong_answer", "runtime_error"}, expected=SECRET_ANSWER),
    program("channel", "random_bytes_as_frames", """
        import os, random
        def f(context):
            generator = random.Random(17)
            for _ in range(50):
                os.write(3, bytes(generator.randrange(256) for _ in range(64)))
            return 0
        """, {"wrong_answer", "runtime_error", "output_limit", "timeout"},
        expected=SECRET_ANSWER),
    # ------------------------------------------------------------ the comparator
    program("comparator", "float_near_a_big_int", """
        def f(context):
            return 1e12
        """, {"wrong_answer"}, expected=10 ** 12 + 7),
    program("comparator", "float_equal_to_an_int", """
        def f(context):
            return 42.0
        """, {"wrong_answer"}, expected=42),
    program("comparator", "bool_for_an_int", """
        def f(context):
            return True
        """, {"wrong_answer"}, expected=1),
    program("comparator", "int_for_a_bool", """
        def f(context):
            return 0
        """, {"wrong_answer"}, expected=False),
    program("comparator", "int_for_a_float", """
        def f(context):
            return 3
        """, {"wrong_answer"}, expected=3.0),
    program("comparator", "float_inside_a_list", """
        def f(context):
            return [1, 2.0000000001, 3]
        """, {"wrong_answer"}, expected=[1, 2, 3]),
    program("comparator", "float_member_of_a_set", """
        def f(context):
            return {1.0, 2}
        """, {"wrong_answer"}, expected={1, 2}),
    program("comparator", "complex_for_a_float", """
        def f(context):
            return 2 + 0j
        """, {"wrong_answer"}, expected=2.0),
    program("comparator", "nan_for_a_number", """
        def f(context):
            return float("nan")
        """, {"wrong_answer"}, expected=0.5),
    program("comparator", "huge_int_near_miss", """
        def f(context):
            return 10 ** 30 + 1
        """, {"wrong_answer"}, expected=10 ** 30),
    program("forgery", "assert_mode_exit_before_check", """
        import os
        os._exit(0)
        def f(x):
            return x
        """, {"runtime_error"}, mode="assert"),
]


def _job(case: Hostile, context: dict) -> Job:
    if case.mode == "assert":
        return Job(mode="assert", code=case.code, entry_point="f", limits=FAST_LIMITS,
                   test_code="def check(candidate):\n    assert candidate(1) == 2\n"
                             "    assert candidate(2) == 3\n")
    if case.mode == "stdio":
        return Job(mode="stdio", code=case.code, tests=(StdioTest("", case.expected),),
                   limits=FAST_LIMITS)
    return Job(mode="function", code=case.code, entry_point="f",
               tests=(FunctionTest((context,), case.expected),), limits=FAST_LIMITS)


CANARY = Job(mode="function", code="def f(x):\n    return x * 2\n", entry_point="f",
             tests=(FunctionTest((21,), 42), FunctionTest((5,), 10)), limits=FAST_LIMITS)
WRONG_CANARY = dataclasses.replace(CANARY, code="def f(x):\n    return x * 3\n")


def test_suite_has_enough_programs_in_every_category():
    categories = {case.category for case in HOSTILE}
    assert categories == {"exhaustion", "escape", "forgery", "channel", "comparator"}
    assert len(HOSTILE) >= 60
    assert len({case.name for case in HOSTILE}) == len(HOSTILE)


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    directory = tmp_path_factory.mktemp("host")
    sentinel = directory / "sentinel.txt"
    sentinel.write_text("sentinel-content")
    listener = Listener()
    yield {"sentinel": sentinel, "directory": directory, "listener": listener}
    listener.close()


def _host_state(host) -> tuple:
    sentinel = host["sentinel"]
    return (sentinel.read_text(), sentinel.stat().st_mtime_ns,
            sorted(os.listdir(host["directory"])), tree_digest(PACKAGE_DIR),
            host["listener"].connections)


@pytest.mark.parametrize("case", HOSTILE, ids=[f"{c.category}-{c.name}" for c in HOSTILE])
def test_hostile_program(case, executor, host):
    before = _host_state(host)
    context = {"sentinel": str(host["sentinel"]), "port": host["listener"].port,
               "host_pid": os.getpid()}
    verdict, canary, wrong = executor.run([_job(case, context), CANARY, WRONG_CANARY])
    assert verdict.status in case.statuses, verdict
    assert verdict.status != "passed"
    assert verdict.backend == "gvisor"
    assert _host_state(host) == before
    assert canary.status == "passed" and canary.tests_passed == 2, canary
    assert wrong.status == "wrong_answer" and wrong.tests_passed == 0, wrong


def test_next_job_on_the_same_sandbox_is_graded_correctly(host):
    # One worker, so the canary runs in the very sandbox the hostile program just used.
    with SandboxExecutor(workers=1, limits=FAST_LIMITS) as ex:
        for case in HOSTILE[:12]:
            context = {"sentinel": str(host["sentinel"]), "port": host["listener"].port,
                       "host_pid": os.getpid()}
            hostile, canary = ex.run([_job(case, context), CANARY])
            assert hostile.status != "passed"
            assert canary.status == "passed", (case.name, canary)


def test_host_secret_was_set_for_the_environment_probe(executor):
    assert os.environ["SANDBOX_HOST_SECRET"] == HOST_SECRET  # set before the sandboxes start


def test_probe_sees_gvisor_kernel(executor):
    probe = ("import os\ndef f():\n    return [os.path.exists('/proc/sentry-meminfo'),"
             " open('/proc/version').read().split()[2], os.getuid()]\n")
    [outcome] = executor.reference(probe, ["f"], [()])
    exists, release, uid = outcome["f"].value
    assert exists is True and release == "4.4.0"  # gVisor's emulated kernel
    assert uid == 65534  # candidate code runs unprivileged inside the sandbox


def test_nothing_left_after_close(host):
    ex = SandboxExecutor(workers=2, limits=FAST_LIMITS)
    with ex:
        state_dir = ex._state_dir
        context = {"sentinel": str(host["sentinel"]), "port": host["listener"].port,
                   "host_pid": os.getpid()}
        by_name = {case.name: case for case in HOSTILE}
        jobs = [_job(by_name[name], context) for name in
                ("fork_bomb", "daemon_outlives_job", "infinite_loop", "kill_fork_server")]
        assert all(v.status != "passed" for v in ex.run(jobs))
        assert len(ex.containers()) == 2
    assert ex.containers() == []
    assert not os.path.exists(state_dir)
    leftover = subprocess.run(["pgrep", "-f", state_dir], capture_output=True, text=True)
    assert leftover.stdout.strip() == ""


def test_a_forked_memory_bomb_cannot_take_the_sandbox_past_its_cgroup(host):
    # 8 children of 150 MB each (1.2 GB) against a 400 MB sandbox: per-process limits
    # alone would allow it; the sandbox's memory cgroup does not.
    bomb = textwrap.dedent("""
        import os, time
        def f(context):
            for _ in range(8):
                if os.fork() == 0:
                    block = bytearray(150 << 20)
                    block[::4096] = b"x" * len(range(0, len(block), 4096))
                    time.sleep(5)
                    os._exit(0)
            time.sleep(6)
            return 987654321
        """)
    limits = dataclasses.replace(FAST_LIMITS, memory_mb=200, wall_time_per_test_s=10.0,
                                 wall_time_per_job_s=12.0)
    with SandboxExecutor(workers=1, limits=limits, sandbox_memory_mb=400) as ex:
        [container] = ex.containers()
        limit_file = Path(f"/sys/fs/cgroup/memory/{container}/memory.limit_in_bytes")
        assert int(limit_file.read_text()) == 400 << 20
        job = Job(mode="function", code=bomb, entry_point="f", limits=limits,
                  tests=(FunctionTest(({},), SECRET_ANSWER),))
        verdict, canary = ex.run([job, CANARY])
        assert verdict.status in {"sandbox_error", "memory", "runtime_error", "timeout"}, verdict
        assert canary.status == "passed"
        for container in ex.containers():  # the replacement sandbox is capped too
            usage = Path(f"/sys/fs/cgroup/memory/{container}/memory.max_usage_in_bytes")
            assert int(usage.read_text()) <= 400 << 20
