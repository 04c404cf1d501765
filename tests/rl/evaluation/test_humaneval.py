"""HumanEval through the same path a model's samples take: scripted chat answers, code
extraction, the graded program, the sandbox's assert mode, pass@1."""
import re

import ml_collections

from rl.evaluation.benchmark import GradingResources
from rl.evaluation.humaneval import harness_completion, load_humaneval, solution_program
from rl.evaluation.runner import ScoringSettings, run_benchmark
from rl.evaluation.sampling import EvalSampling
from rl.evaluation.suite import make_benchmark

from tests.rl.evaluation.doubles import ScriptedGeneratorDouble

TASKS = {task.task_id: task for task in load_humaneval()}



def _task_of(user_text: str):
    return next(task for task in TASKS.values() if task.prompt in user_text)


def _answer_whole_function(task, body: str) -> str:
    return f"Here is the function:\n```python\n{task.prompt}{body}```\nIt handles every case."


def _run(sandbox, answer_for, limit=0):
    config = ml_collections.ConfigDict({"path": "", "limit": limit, "wall_time_s": 10.0})
    benchmark = make_benchmark("humaneval", config, GradingResources(sandbox=sandbox))
    generator = ScriptedGeneratorDouble(lambda text, index: answer_for(_task_of(text)))
    return run_benchmark(benchmark, generator, EvalSampling(batch_size=41), ScoringSettings(),
                         show_progress=False)


def test_the_packaged_set_has_164_tasks():
    assert len(TASKS) == 164 and "HumanEval/0" in TASKS


def test_canonical_solutions_score_one(sandbox):
    result = _run(sandbox, lambda task: _answer_whole_function(task, task.canonical_solution))
    failures = [(o.problem_id, o.reasons) for o in result.outcomes if not all(o.correct)]
    assert failures == []
    assert result.scores[0].num_problems == 164
    assert result.scores[0].pass_at[1].mean == 1.0


def _mutate(task) -> str:
    """A plausible wrong solution: the canonical one with its first comparison or arithmetic
    operator flipped, or (when it has none) a body returning None."""
    swaps = [("<=", ">"), (">=", "<"), ("==", "!="), (" < ", " >= "), (" > ", " <= "), (" + ", " - "),
             (" - ", " + ")]
    for old, new in swaps:
        if old in task.canonical_solution:
            return task.canonical_solution.replace(old, new, 1)
    return "    return None\n"


def test_mutated_solutions_score_lower(sandbox):
    result = _run(sandbox, lambda task: _answer_whole_function(task, _mutate(task)), limit=40)
    score = result.scores[0].pass_at[1].mean
    assert result.scores[0].num_problems == 40
    assert score < 0.5, [(o.problem_id, o.reasons) for o in result.outcomes if all(o.correct)]
    reasons = {o.reasons[0].split(":")[0] for o in result.outcomes if not all(o.correct)}
    assert reasons <= {"wrong_answer", "runtime_error", "timeout"}


def test_body_only_answers_and_broken_answers(sandbox):
    def answer(task):
        if task.task_id == "HumanEval/0":
            return "```python\n" + task.canonical_solution + "```"     # a body continuing the prompt
        if task.task_id == "HumanEval/1":
            return "```python\ndef separate_paren_groups(paren_string):\n    return [\n```"  # syntax error
        if task.task_id == "HumanEval/2":                                # cut at the stop: no closing fence
            return "```python\n" + task.prompt + task.canonical_solution
        return "I do not know."                                          # no code at all

    result = _run(sandbox, answer, limit=4)
    assert [o.correct for o in result.outcomes] == [(True,), (False,), (True,), (False,)]


def test_program_and_harness_completion_agree():
    task = TASKS["HumanEval/2"]
    answer = _answer_whole_function(task, task.canonical_solution)
    program = solution_program(task, answer)
    assert program.startswith(task.prompt)
    assert task.prompt + harness_completion(task, answer) == program
    assert len(re.findall(r"^def truncate_number", program, re.MULTILINE)) == 2
