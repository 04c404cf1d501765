"""Test doubles for the data-generation pipeline: a scripted teacher and a scripted student.

The teacher double writes induction instances from a script keyed by (family marker, the
stage of its previous output, the turn kind it is asked for); the student double answers
each instance with a scripted number of correct solutions out of M. Both are pure
functions of the request, so reruns (resume after a kill) see the same texts.
"""
from __future__ import annotations

import asyncio
import os
import re
import signal
from typing import Optional

from rl.generation.types import Completion, GenerationResult

WRONG_ANSWER = "```python\ndef f(x):\n    return 0\n```"

# stage -> (body of f, number of student passes out of M; None = invalid instance)
STAGES = {
    "broken": ("x + 100", None),
    "easy1": ("x * 2 + 1", 8),
    "hard1": ("x * x - 3 * x + 7", 0),
    "mid1": ("x * 3 - 1", 4),
    "hard2": ("(x * x) % 7 + x", 1),
    "cmed": ("(x * x) % 5 + x", 4),
    "ceasy": ("x * x + 1", 7),
    "st_good": ("x * 5 - 2", 4),
    "st_bad": ("x - 5", None),
    "st_good_b": ("x * 7 - 2", 4),
    "beta_seed": ("x * 4 + 4", 4),
    "beta_hard": ("x * 6 - 5", 8),
    "beta_fix": ("x * 9 + 2", 8),
    "beta_broken": ("x + 1", None),
    "beta_last": ("x * x * 2 - x", 2),
}

# (marker, previous stage, turn kind) -> stage written on a follow-up turn
SCRIPT = {
    ("alpha", "broken", "repair"): "easy1",
    ("alpha", "easy1", "harder"): "hard1",
    ("alpha", "hard1", "easier"): "mid1",
    ("alpha", "mid1", "harder"): "hard2",
    ("alpha", "hard2", "easier"): "mid1",       # a duplicate of turn 4
    ("alpha", "hard2", "chain_medium"): "cmed",
    ("alpha", "cmed", "chain_easy"): "ceasy",
    ("beta", "beta_seed", "harder"): "beta_hard",
    ("beta", "beta_hard", "harder"): "beta_hard",   # a duplicate within the family
    ("beta", "beta_hard", "repair"): "beta_fix",
    ("beta", "beta_fix", "harder"): "beta_broken",
    ("beta", "beta_broken", "repair"): "beta_last",
}
SINGLE_TURN_STAGES = {"alpha": ("st_good", "st_bad"), "beta": ("st_good_b", "st_bad"),
                      "gamma": ("he_copy",)}

# A HumanEval solution (HumanEval/0) with renamed variables, posing as an induction f.
HUMANEVAL_COPY = """```python
def f(values, limit):
    # stage he_copy
    for i, first in enumerate(values):
        for j, second in enumerate(values):
            if i != j:
                gap = abs(first - second)
                if gap < limit:
                    return True

    return False
```
```input
[1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3
```
```input
[1.0, 2.0, 3.0], 0.5
```
```input
[1.0, 2.0, 5.9, 4.0, 5.0], 0.95
```
```input
[1.0, 2.0, 5.9, 4.0, 5.0], 0.8
```
```input
[1.1, 2.2, 3.1, 4.1, 5.1], 1.0
```
```message
Stage he_copy: decide whether two numbers are close.
```
"""

PROMPT_TOKENS, COMPLETION_TOKENS = 100, 50

SEED_TEXT = "# family {marker}\n" + "\n".join(f"def helper_{i}(value):\n    return value + {i}" for i in range(12))


def instance_text(stage: str) -> str:
    if stage == "he_copy":
        return HUMANEVAL_COPY
    body, passes = STAGES[stage]
    code = f"```python\ndef f(x):\n    # stage {stage}\n    return {body}\n```"
    inputs = "\n".join(f"```input\n{value}\n```" for value in (1, 2, 3, 5, 8, 13))
    message = "" if passes is None else f"\n```message\nStage {stage}: the output grows with x.\n```"
    return f"I will write an arithmetic puzzle.\n{code}\n{inputs}{message}\n"


def _turn_kind(last_user: str, has_previous: bool) -> str:
    if not has_previous:
        return "first"
    for keyword, kind in (("HARDER", "harder"), ("EASIER", "easier"), ("could not be used", "repair"),
                          ("MEDIUM", "chain_medium"), ("EASY", "chain_easy")):
        if keyword in last_user:
            return kind
    raise AssertionError(f"the teacher double cannot tell the turn kind of: {last_user[:200]}")


class ScriptedTeacherDouble:
    """Writes scripted instances; optionally dies (SIGKILL or an error) after some calls."""

    def __init__(self, first_turns: dict[int, str], kill_after: Optional[int] = None,
                 fail_after: Optional[int] = None):
        """`first_turns` maps the request seed of each multi-turn first call to its stage;
        every other first call (the single-turn arm) picks a single-turn stage by seed."""
        self.first_turns = dict(first_turns)
        self.calls = 0
        self.kill_after = kill_after
        self.fail_after = fail_after

    def _one(self, request) -> GenerationResult:
        self.calls += 1
        if self.kill_after is not None and self.calls > self.kill_after:
            os.kill(os.getpid(), signal.SIGKILL)
        if self.fail_after is not None and self.calls > self.fail_after:
            raise ConnectionError("teacher server at 127.0.0.1:9 is not answering")
        messages = request.messages
        marker = re.search(r"# family (\w+)", messages[1].content).group(1)
        previous = [m.content for m in messages if m.role == "assistant"]
        previous_stage = re.search(r"# stage (\w+)", previous[-1]).group(1) if previous else None
        kind = _turn_kind(messages[-1].content, bool(previous))
        key = (marker, previous_stage, kind)
        if kind == "first" and request.seed in self.first_turns:
            stage = self.first_turns[request.seed]
        elif kind != "first" and key in SCRIPT:
            stage = SCRIPT[key]
        else:  # single-turn calls (first turns after the family's own seed turn) and unscripted turns
            stages = SINGLE_TURN_STAGES[marker]
            stage = stages[request.seed % len(stages)]
        text = instance_text(stage)
        if request.response_prefix:   # a model continues the prefix: no prose before it, and not repeated
            text = text[text.index(request.response_prefix) + len(request.response_prefix):]
        return GenerationResult((Completion(text, PROMPT_TOKENS, COMPLETION_TOKENS, "stop"),) * request.n)

    def generate(self, requests):
        return [self._one(r) for r in requests]

    async def agenerate(self, requests):
        await asyncio.sleep(0)
        return self.generate(requests)


class ScriptedStudentDouble:
    """Answers an induction prompt with the scripted number of correct solutions out of n."""

    def __init__(self):
        self.calls = 0

    def generate(self, requests):
        results = []
        for request in requests:
            self.calls += 1
            stage = re.search(r"Stage (\w+):", request.messages[-1].content).group(1)
            body, passes = STAGES[stage]
            right = f"```python\ndef f(x):\n    return {body}\n```"
            texts = [right] * passes + [WRONG_ANSWER] * (request.n - passes)
            results.append(GenerationResult(tuple(Completion(t, 10, 10, "stop") for t in texts)))
        return results

    async def agenerate(self, requests):
        await asyncio.sleep(0)
        return self.generate(requests)
