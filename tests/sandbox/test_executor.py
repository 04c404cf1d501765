"""The executor's promises: modes, reference calls, futures/async, limits, recovery."""
from __future__ import annotations

import asyncio
import dataclasses
import select

import pytest

from sandbox.executor import SandboxExecutor
from sandbox.grading import JobError
from sandbox.runsc import RunscMissing
from sandbox.types import FunctionTest, Job, StdioTest
from tests.sandbox.conftest import FAST_LIMITS

ADD = "def add(a, b):\n    return a + b\n"


def function_job(code, tests, limits=FAST_LIMITS, entry_point="add"):
    return Job(mode="function", code=code, entry_point=entry_point,
               tests=tuple(FunctionTest(args, expected) for args, expected in tests),
               limits=limits)


def test_function_mode_counts_passed_tests(executor):
    right, wrong = executor.run([
        function_job(ADD, [((1, 2), 3), (("a", "b"), "ab"), (([1], [2]), (1, 2))]),
        function_job(ADD, [((1, 2), 3), ((2, 2), 5)]),
    ])
    assert (right.status, right.tests_passed, right.tests_total) == ("passed", 3, 3)
    assert (wrong.status, wrong.tests_passed) == ("wrong_answer", 1)
    assert "returned 4, expected 5" in wrong.details[0]


def test_errors_are_verdicts_not_exceptions(executor):
    syntax, missing, raising = executor.run([
        function_job("def add(a, b) return", [((1, 2), 3), ((1, 1), 2)]),
        function_job("x = 1", [((1, 2), 3)]),
        function_job("def add(a, b):\n    return a / b", [((1, 0), 0), ((4, 2), 2.0)]),
    ])
    assert (syntax.status, syntax.tests_passed, syntax.tests_total) == ("runtime_error", 0, 2)
    assert "SyntaxError" in syntax.details[0]
    assert missing.status == "runtime_error" and "add" in missing.details[0]
    assert (raising.status, raising.tests_passed) == ("runtime_error", 1)
    assert "ZeroDivisionError" in raising.details[0]


def test_a_timed_out_test_does_not_stop_the_next(executor):
    code = "def add(a, b):\n    while a < 0:\n        pass\n    return a + b\n"
    limits = dataclasses.replace(FAST_LIMITS, wall_time_per_test_s=0.5)
    verdict = executor.run([function_job(code, [((-1, 0), 0), ((1, 1), 2)], limits)])[0]
    assert (verdict.status, verdict.tests_passed) == ("timeout", 1)


def test_job_wall_time_bounds_all_tests(executor):
    code = "import time\ndef add(a, b):\n    time.sleep(0.4)\n    return a + b\n"
    limits = dataclasses.replace(FAST_LIMITS, wall_time_per_test_s=1.0, wall_time_per_job_s=1.0)
    verdict = executor.run([function_job(code, [((1, 1), 2)] * 6, limits)])[0]
    assert verdict.status == "timeout" and 1 <= verdict.tests_passed < 6
    assert verdict.wall_time_s < 4.0


def test_stdio_mode(executor):
    doubler = "n = int(input())\nprint(n * 2, '  ')\n"
    tests = (StdioTest("4\n", "8"), StdioTest("5", "10\n\n"), StdioTest("6", "13"))
    exits = "import sys\nprint('partial')\nsys.exit(3)\n"
    fast_exit = "import os, sys\nprint(int(input()) + 1)\nsys.stdout.flush()\nos._exit(0)\n"
    verdicts = executor.run([
        Job(mode="stdio", code=doubler, tests=tests, limits=FAST_LIMITS),
        Job(mode="stdio", code=exits, tests=(StdioTest("", "partial"),), limits=FAST_LIMITS),
        Job(mode="stdio", code=fast_exit, tests=(StdioTest("1", "2"),), limits=FAST_LIMITS),
        Job(mode="stdio", code="print('x' * 10**6)", tests=(StdioTest("", ""),),
            limits=FAST_LIMITS),
    ])
    assert (verdicts[0].status, verdicts[0].tests_passed) == ("wrong_answer", 2)
    assert verdicts[1].status == "runtime_error" and "SystemExit" in verdicts[1].details[0]
    assert verdicts[2].status == "passed"
    assert verdicts[3].status == "output_limit"


def test_assert_mode(executor):
    test_code = "def check(candidate):\n    assert candidate(2, 3) == 5\n"
    good, bad = executor.run([
        Job(mode="assert", code=ADD, entry_point="add", test_code=test_code, limits=FAST_LIMITS),
        Job(mode="assert", code=ADD.replace("+", "-"), entry_point="add", test_code=test_code,
            limits=FAST_LIMITS),
    ])
    assert good.status == "passed" and bad.status == "wrong_answer"


def test_memory_limit(executor):
    code = "def add(a):\n    return len(bytearray(a * 1024 * 1024))\n"
    small, big = executor.run([function_job(code, [((10,), 10 * 1024 * 1024)]),
                               function_job(code, [((1024,), 0)])])
    assert small.status == "passed" and big.status == "memory"


def test_reference_returns_values_and_errors_per_input(executor):
    code = ("def f(x):\n    x.append(1)\n    return {len(x): tuple(x)}\n"
            "def g(x):\n    return 10 // len(x)\n"
            "def h(x):\n    return object() if x else set()\n")
    outcomes = executor.reference(code, ["f", "g", "h"], [([],), ([5, 6],)])
    assert outcomes[0]["f"].value == {1: (1,)} and outcomes[0]["f"].literal == "{1: (1,)}"
    assert outcomes[0]["g"].error_type == "ZeroDivisionError" and not outcomes[0]["g"].ok
    assert outcomes[0]["h"].value == set()
    assert outcomes[1]["f"].value == {3: (5, 6, 1)}  # each call gets fresh arguments
    assert outcomes[1]["g"].value == 5
    assert outcomes[1]["h"].error_type == "NotPlainData"


def test_reference_limits_apply_per_input(executor):
    code = "def f(x):\n    while x:\n        pass\n    return 'done'\n"
    limits = dataclasses.replace(FAST_LIMITS, wall_time_per_test_s=0.5)
    looping, finishing = executor.reference(code, ["f"], [(1,), (0,)], limits=limits)
    assert looping["f"].error_type == "Timeout"
    assert finishing["f"].value == "done"


def test_futures_and_async(executor):
    future = executor.submit(function_job(ADD, [((1, 2), 3)]))
    assert future.result(timeout=60).passed

    async def both():
        verdicts = await executor.run_async([function_job(ADD, [((2, 2), 4)])] * 3)
        outcomes = await executor.reference_async(ADD, ["add"], [(1, 1)])
        return verdicts, outcomes
    verdicts, outcomes = asyncio.run(both())
    assert all(v.passed for v in verdicts) and outcomes[0]["add"].value == 2
    assert executor.submit_reference(ADD, ["add"], [(3, 4)]).result()[0]["add"].value == 7


def test_malformed_jobs_raise_a_clear_error(executor):
    with pytest.raises(JobError, match="entry_point"):
        executor.submit(Job(mode="function", code=ADD, tests=(FunctionTest((1,), 1),)))
    with pytest.raises(JobError, match="at least one test"):
        executor.submit(Job(mode="stdio", code="print(1)"))
    with pytest.raises(JobError, match="mode"):
        executor.submit(Job(mode="bogus", code=ADD))
    with pytest.raises(JobError, match=r"tests\[0\].args"):
        executor.submit(function_job(ADD, [((object(),), 1)]))
    with pytest.raises(JobError, match="functions"):
        executor.reference(ADD, "add", [(1, 2)])


def test_configuration_errors_name_the_fix():
    with pytest.raises(ValueError, match="backend 'docker' is unknown"):
        SandboxExecutor(backend="docker")
    with pytest.raises(RunscMissing, match="apt-get install -y runsc"):
        SandboxExecutor(runsc_path="/nonexistent/runsc")
    with pytest.raises(RuntimeError, match="context manager"):
        SandboxExecutor(workers=1).submit(function_job(ADD, [((1, 2), 3)]))


def test_sandboxes_are_recycled_and_recover_from_a_dead_sandbox():
    with SandboxExecutor(workers=1, limits=FAST_LIMITS, recycle_after_jobs=2) as ex:
        [worker] = ex._pool
        assert all(v.passed for v in ex.run([function_job(ADD, [((1, 2), 3)])] * 5))
        assert worker.starts == 3  # 5 jobs, a fresh sandbox after every 2
        worker.process.kill()  # the sandbox dies under the executor's feet
        # runsc's sandbox outlives its `runsc run` parent for a moment; the next job must
        # find it gone (end of its output), not race it (then the job would have been
        # delivered to a dying sandbox and, by design, not retried).
        ready, _, _ = select.select([worker.process.stdout], [], [], 30)
        assert ready and worker.process.stdout.read() == b""
        verdict = ex.run([function_job(ADD, [((1, 2), 3)])])[0]
        assert verdict.passed and worker.starts == 4
    assert ex.containers() == []


def test_assert_mode_cannot_be_forged_through_the_result_channel(executor):
    # The candidate runs in its own process, without the harness's result channel: a
    # frame written to fd 3 reaches only the harness's reply parser, as a crash.
    forger = ("import json, os, struct\n"
              "body = json.dumps({'i': 0, 'status': 'ok'}).encode()\n"
              "os.write(3, struct.pack('>I', len(body)) + body)\n"
              "os._exit(0)\n")
    test_code = "def check(candidate):\n    assert candidate(2, 3) == 5\n"
    forged, honest = executor.run([
        Job(mode="assert", code=forger, entry_point="add", test_code=test_code,
            limits=FAST_LIMITS),
        Job(mode="assert", code=ADD, entry_point="add", test_code=test_code,
            limits=FAST_LIMITS)])
    assert forged.status == "runtime_error", forged
    assert honest.status == "passed", honest


def test_a_huge_return_value_is_an_output_limit(executor):
    code = "def add(a, b):\n    return 'x' * a\n"
    small, huge = executor.run([function_job(code, [((10, 0), "x" * 10)]),
                                function_job(code, [((10 ** 6, 0), "")])])
    assert small.status == "passed" and huge.status == "output_limit"


def test_a_call_that_ends_the_callee_costs_only_that_call(executor):
    # A job's calls go to the callee in one batch; the call that kills it is a crash and
    # the calls after it run in a fresh callee.
    code = ("import os\n"
            "def add(a, b):\n"
            "    if a == 0:\n"
            "        os._exit(3)\n"
            "    return a + b\n")
    verdict = executor.run([function_job(code, [((1, 1), 2), ((0, 0), 0), ((2, 2), 4),
                                                ((3, 3), 6)])])[0]
    assert (verdict.status, verdict.tests_passed, verdict.tests_total) == ("runtime_error", 3, 4)
    outcomes = executor.reference(code, ["add"], [(1, 1), (0, 0), (2, 2)])
    assert [outcome["add"].value for outcome in (outcomes[0], outcomes[2])] == [2, 4]
    assert outcomes[1]["add"].error_type == "Crash"


def test_the_harness_serves_clean_jobs_and_is_replaced_after_an_anomaly():
    # The callee's parent is the harness: the same pid across clean jobs, a new one after
    # a job that timed out; nothing a candidate leaves in its process reaches the next.
    parent = ("import builtins, os\n"
              "def add(a, b):\n"
              "    seen = getattr(builtins, 'MARK', None)\n"
              "    builtins.MARK = 'left by an earlier job'\n"
              "    return [os.getppid(), seen]\n")
    hang = "def add(a, b):\n    while True:\n        pass\n"
    limits = dataclasses.replace(FAST_LIMITS, wall_time_per_test_s=0.5)
    with SandboxExecutor(workers=1, limits=limits) as ex:
        def harness_pid():
            [outcome] = ex.reference(parent, ["add"], [(1, 2)])
            value = outcome["add"].value
            assert value[1] is None  # a fresh callee every job
            return value[0]

        first, second = harness_pid(), harness_pid()
        assert first == second
        assert ex.run([function_job(hang, [((1, 2), 3)], limits)])[0].status == "timeout"
        third = harness_pid()
        assert third != first
        assert harness_pid() == third


def test_signals_from_candidate_processes_cannot_reach_the_next_job():
    # A candidate's background process bombards the (reused) harness with signals until
    # the sweep kills it: the harness ignores them, the job is graded, the next job and
    # the harness are unaffected.
    bomber = ("import os, signal\n"
              "def add(a, b):\n"
              "    harness = os.getppid()\n"
              "    if os.fork() == 0:\n"
              "        while True:\n"
              "            for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP,\n"
              "                           signal.SIGUSR1, signal.SIGALRM, signal.SIGTSTP):\n"
              "                try:\n"
              "                    os.kill(harness, number)\n"
              "                except OSError:\n"
              "                    pass\n"
              "    return [harness, a + b]\n")
    with SandboxExecutor(workers=1, limits=FAST_LIMITS) as ex:
        first = ex.reference(bomber, ["add"], [(1, 2), (3, 4)])
        assert [outcome["add"].value[1] for outcome in first] == [3, 7]
        second = ex.reference(bomber, ["add"], [(5, 6)])
        assert second[0]["add"].value[1] == 11
        assert second[0]["add"].value[0] == first[0]["add"].value[0]  # the same harness
        assert ex.run([function_job(ADD, [((1, 2), 3)])])[0].passed
