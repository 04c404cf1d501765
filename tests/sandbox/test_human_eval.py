"""HumanEval in assert mode: all 164 canonical solutions pass, mutated ones fail."""
from __future__ import annotations

import dataclasses

import pytest

from sandbox.bench import human_eval_job, load_problems
from sandbox.executor import SandboxExecutor
from sandbox.types import Limits

LIMITS = Limits(wall_time_per_test_s=10.0, wall_time_per_job_s=20.0)


@pytest.fixture(scope="module")
def problems():
    return load_problems()


def _mutate(problem: dict) -> str:
    """A wrong solution: the canonical body with its result replaced by a wrong value."""
    name = problem["entry_point"]
    wrapper = (f"\n_original_{name} = {name}\n"
               f"def {name}(*args, **kwargs):\n"
               f"    result = _original_{name}(*args, **kwargs)\n"
               "    if isinstance(result, bool):\n        return not result\n"
               "    if isinstance(result, (int, float)):\n        return result + 1\n"
               "    if isinstance(result, str):\n        return result + 'x'\n"
               "    if isinstance(result, (list, tuple)):\n        return type(result)(list(result) + [None])\n"
               "    return 'mutated'\n")
    return problem["prompt"] + problem["canonical_solution"] + wrapper


def test_all_canonical_solutions_pass_and_mutants_fail(problems):
    assert len(problems) == 164
    canonical = [human_eval_job(problem, LIMITS) for problem in problems]
    mutants = [dataclasses.replace(job, code=_mutate(problem))
               for job, problem in zip(canonical, problems)]
    with SandboxExecutor(limits=LIMITS) as executor:
        verdicts = executor.run(canonical + mutants)
    good, bad = verdicts[:164], verdicts[164:]
    failures = [(p["task_id"], v.details) for p, v in zip(problems, good) if not v.passed]
    assert failures == []
    assert all(v.backend == "gvisor" for v in verdicts)
    wrongly_passed = [p["task_id"] for p, v in zip(problems, bad) if v.passed]
    # Every check in HumanEval compares results, so a shifted result must fail it.
    assert wrongly_passed == []
    assert sum(v.status == "wrong_answer" for v in bad) > 120
