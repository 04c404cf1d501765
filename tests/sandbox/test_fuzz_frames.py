"""Fuzz: random bytes and random JSON as result frames never raise out of the executor.

Host side: thousands of random answers through `grading.verdict_from_answer` and
`grading.reference_outcomes` (each a verdict, never an exception). Sandbox side:
candidates that write seeded random bytes and random JSON frames on every descriptor
they hold; every verdict is a non-passing one and the honest jobs beside them pass.
"""
from __future__ import annotations

import json
import random
import textwrap

import pytest

from sandbox import grading
from sandbox.types import FunctionTest, Job, StdioTest
from tests.sandbox.conftest import FAST_LIMITS

FUNCTION_JOB = Job(mode="function", code="", entry_point="f", limits=FAST_LIMITS,
                   tests=(FunctionTest((1,), 2), FunctionTest((2,), 3)))
STDIO_JOB = Job(mode="stdio", code="", tests=(StdioTest("", "ok"),), limits=FAST_LIMITS)
ASSERT_JOB = Job(mode="assert", code="", entry_point="f", test_code="def check(c): pass",
                 limits=FAST_LIMITS)


def random_json(rng: random.Random, depth: int = 0):
    choice = rng.randrange(9 if depth < 6 else 6)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice([True, False])
    if choice == 2:
        return rng.randrange(-10 ** 20, 10 ** 20)
    if choice == 3:
        return rng.choice([0.5, -1e308, float("inf"), float("nan")])
    if choice == 4:
        return rng.choice(["ok", "error", "timeout", "", "x" * 3000, "1", "[1, 2]",
                           "__import__('os')", "(" * 500])
    if choice == 5:
        return rng.choice(["i", "status", "literal", "stdout", "calls", "fatal"])
    if choice == 6:
        return [random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ["i", "status", "literal", "stdout", "calls", "fatal", "error_type", "where",
            "stderr_tail", "error_message", "results", "f"]
    return {rng.choice(keys): random_json(rng, depth + 1) for _ in range(rng.randrange(5))}


def random_unit(rng: random.Random, index: int):
    unit = {"i": index, "status": rng.choice(list(grading.UNIT_STATUSES))}
    for _ in range(rng.randrange(4)):
        unit[rng.choice(["literal", "stdout", "calls", "fatal", "error_type", "i",
                         "status"])] = random_json(rng)
    return unit if rng.random() < 0.8 else random_json(rng)


@pytest.mark.parametrize("seed", range(4))
def test_random_answers_are_verdicts_never_exceptions(seed):
    rng = random.Random(seed)
    for _ in range(1500):
        job = rng.choice([FUNCTION_JOB, STDIO_JOB, ASSERT_JOB])
        count = 1 if job.mode == "assert" else len(job.tests)
        if rng.random() < 0.5:
            answer = {"results": [random_unit(rng, i) for i in range(count)]}
        else:
            answer = random_json(rng)
        verdict = grading.verdict_from_answer(job, answer, 0.0, "fuzz")
        assert verdict.status in {"passed", "wrong_answer", "runtime_error", "timeout",
                                  "memory", "output_limit", "sandbox_error"}
        outcomes = grading.reference_outcomes(["f", "g"], answer, 2)
        assert len(outcomes) == 2 and all(set(o) == {"f", "g"} for o in outcomes)


def test_wrong_typed_fields_are_sandbox_errors():
    cases = [
        (FUNCTION_JOB, [{"i": 0, "status": "ok", "literal": 5}, {"i": 1, "status": "ok",
                                                                  "literal": "3"}]),
        (FUNCTION_JOB, [{"i": 0, "status": "ok"}, {"i": 1, "status": "ok", "literal": "3"}]),
        (FUNCTION_JOB, [{"i": True, "status": "ok", "literal": "2"},
                        {"i": 1, "status": "ok", "literal": "3"}]),
        (STDIO_JOB, [{"i": 0, "status": "ok", "stdout": 5}]),
        (STDIO_JOB, [{"i": 0, "status": "passed", "stdout": "ok"}]),
        (ASSERT_JOB, [{"i": 0, "status": "ok", "fatal": "yes"}]),
        (ASSERT_JOB, [{"i": 0, "status": "ok", "verdict": "passed"}]),
    ]
    for job, units in cases:
        verdict = grading.verdict_from_answer(job, {"results": units}, 0.0, "test")
        assert verdict.status == "sandbox_error", (units, verdict)
    nested = json.loads("[" * 900 + "]" * 900)
    verdict = grading.verdict_from_answer(STDIO_JOB, {"results": [nested]}, 0.0, "test")
    assert verdict.status == "sandbox_error"


def test_random_frames_from_candidate_code_never_raise(executor):
    writer = textwrap.dedent("""
        import json, os, random, struct
        def f(x):
            rng = random.Random(SEED)
            for _ in range(20):
                if rng.random() < 0.5:
                    body = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
                else:
                    body = json.dumps({"i": rng.randrange(-1, 3), "status": rng.choice(
                        ["ok", "passed", "error"]), "literal": rng.choice(
                        [5, "3", None, "[" * 300])}).encode()
                frame = struct.pack(">I", len(body)) + body if rng.random() < 0.8 else body
                for fd in (1, 2, 3, 4, 5, 6, 7):
                    try:
                        os.write(fd, frame)
                    except OSError:
                        pass
            return "no"
        """)
    jobs = []
    for seed in range(8):
        code = writer.replace("SEED", str(seed))
        jobs.append(Job(mode="function", code=code, entry_point="f", limits=FAST_LIMITS,
                        tests=(FunctionTest((1,), 987654321), FunctionTest((2,), 5))))
        jobs.append(Job(mode="assert", code=code, entry_point="f", limits=FAST_LIMITS,
                        test_code="def check(candidate):\n    assert candidate(1) == 2\n"))
    honest = Job(mode="function", code="def f(x):\n    return x + 1\n", entry_point="f",
                 tests=(FunctionTest((1,), 2),), limits=FAST_LIMITS)
    verdicts = executor.run(jobs + [honest])
    assert all(v.status != "passed" for v in verdicts[:-1]), verdicts
    assert verdicts[-1].status == "passed"
