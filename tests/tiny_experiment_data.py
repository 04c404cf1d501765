"""A tiny dataset that every experiment config's smoke size can sample from: abduction
problems of both provenances (real and synthetic) in every broad and chain difficulty
bin, stepping-stone chains, and problems of all four teacher environments, each
validated in the real sandbox. Student stats are set (M = 8) to place problems in bins.

Passes out of 8 and the bins they land in: 7 -> easy (broad) and chain easy; 6, 5 ->
easy_medium; 4 -> medium and chain medium; 3 -> medium; 1 -> hard and chain hard.
"""
from __future__ import annotations

import dataclasses
import os

from data_gen.environments import make_environment, validate
from data_gen.environments.base import ProblemProvenance
from data_gen.records import Chain, StudentStats

PASSES_CYCLE = (7, 6, 5, 4, 3, 1)
# Six real and six synthetic abduction problems: the answer is any digit x with f(x) True.
ABDUCTION_FUNCTIONS = tuple(f"def f(x):\n    return x % {k} == {r}\n" for k, r in
                            ((2, 0), (3, 0), (4, 1), (5, 2), (6, 3), (7, 4), (2, 1), (3, 1), (4, 2), (5, 3),
                             (6, 1), (7, 0)))
INDUCTION_THRESHOLDS = (1, 2, 3, 4)     # four induction problems (induction-only needs 4 at smoke size)


def _induction_text(threshold: int) -> str:
    return ("```python\ndef f(words):\n    return [len(w) for w in words if len(w) > %d]\n```\n" % threshold
            + "".join(f"```input\n{words!r}\n```\n" for words in
                      (["apple", "sky"], ["a", "bee", "tree"], ["queue", "io"], ["education"], ["xy", "abcdef"]))
            + "```message\nSome words are measured.\n```\n")


DEDUCTION_TEXT = ("```python\ndef f(xs, k):\n    k %= len(xs)\n    return xs[-k:] + xs[:-k]\n```\n"
                  "```input\n[1, 2, 3, 4, 5], 7\n```\n")
FUZZING_TEXT = ("```python\ndef f(x):\n    return int(str(x)[::-1])\n\n"
                "def pre_test_f(x):\n    return isinstance(x, int)\n\n"
                "def test_f(x):\n    return f(f(x)) == x\n```\n```witness\n-12\n```\n")


def _validated(environment_name: str, text: str, family_id: str, executor, passes: int, provenance: str):
    environment = make_environment(environment_name)
    problem = validate(environment, environment.parse_teacher(text), executor,
                       ProblemProvenance(family_id=family_id, seed_provenance="tiny-experiment-data"))
    if not hasattr(problem, "student"):
        raise AssertionError(f"tiny dataset: {environment_name} instance rejected: {problem}")
    return dataclasses.replace(problem, student=StudentStats(8, passes), provenance=provenance)


def write_tiny_dataset(directory: str, executor) -> tuple[str, str]:
    """Write problems.jsonl and chains.jsonl under `directory`; return their paths."""
    problems, chains = [], []
    for index, code in enumerate(ABDUCTION_FUNCTIONS):
        provenance = "real" if index < 6 else "synthetic"
        passes = PASSES_CYCLE[index % len(PASSES_CYCLE)]
        problems.append(_validated("abduction", f"```python\n{code}```\n```input\n{index % 10}\n```\n",
                                   f"abduction-{index}", executor, passes, provenance))
    by_passes = {}
    for problem in problems[6:]:
        by_passes.setdefault(problem.student.passes, problem)
    chains.append(Chain("chain-0", "abduction-chain", hard_id=by_passes[1].id, medium_id=by_passes[4].id,
                        easy_id=by_passes[7].id))
    for index, threshold in enumerate(INDUCTION_THRESHOLDS):
        problems.append(_validated("induction", _induction_text(threshold), f"induction-{index}", executor,
                                   PASSES_CYCLE[index], "synthetic"))
    problems.append(_validated("deduction", DEDUCTION_TEXT, "deduction-0", executor, 4, "synthetic"))
    problems.append(_validated("fuzzing", FUZZING_TEXT, "fuzzing-0", executor, 3, "synthetic"))
    problems_path, chains_path = os.path.join(directory, "problems.jsonl"), os.path.join(directory, "chains.jsonl")
    with open(problems_path, "w") as handle:
        handle.writelines(p.to_json() + "\n" for p in problems)
    with open(chains_path, "w") as handle:
        handle.writelines(c.to_json() + "\n" for c in chains)
    return problems_path, chains_path
