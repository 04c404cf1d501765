"""The main job measures what training changed on its own synthetic problems: the student's
attempt is one definition (data generation's requests and the trainer's prompts agree), the
held-out split never shares a family with training, and a policy that a few GRPO steps can
fit shows a gain whose interval excludes zero, while a learning rate of zero shows none."""
import json
import os

import pytest

from curriculum.prompts import PromptEncoder
from data_gen.attempt import attempt_request
from data_gen.environments import make_environment
from rl.evaluation.synthetic_change import paired_change, synthetic_problem_sets
from rl.generation.rendering import prompt_token_ids
from rl.policy import environment_prompt
from rl.rollout import rollout_sampling
from sandbox.executor import SandboxExecutor
from tests.rl import train_doubles


@pytest.fixture(scope="module")
def executor():
    with SandboxExecutor(workers=2) as pool:
        yield pool


# One digit (8) answers every task, so a few GRPO steps can fit them all at once.
SHARED_ANSWER_TASKS = tuple((f"def f(x):\n    return {condition}\n", answer, 4) for condition, answer in (
    ("x % 2 == 0", "4"), ("x > 5", "7"), ("x % 4 == 0", "4"), ("x in (2, 8)", "2"), ("x >= 7", "9"),
    ("x % 2 == 0 and x > 3", "6")))


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory, executor):
    directory = tmp_path_factory.mktemp("dataset")
    os.makedirs(directory / "multi_turn")
    train_doubles.write_abduction_dataset(str(directory / "multi_turn" / "problems-h000.jsonl"), executor,
                                          SHARED_ANSWER_TASKS)
    return str(directory)


def _config(run_dir, dataset_dir, learning_rate):
    config = train_doubles.main_job_config(str(run_dir), dataset_dir, steps=10)
    config.grpo.optimizer.learning_rate = learning_rate
    config.curriculum.held_out_fraction = 0.25
    config.eval.humaneval.limit = 1
    config.synthetic_change.attempts = 16
    return config


def test_student_requests_and_trainer_prompts_are_one_attempt(dataset_dir):
    config = _config("unused", dataset_dir, 3e-2)
    policy = train_doubles.tiny_digit_policy()
    sets = synthetic_problem_sets((os.path.join(dataset_dir, "multi_turn", "problems-h000.jsonl"),),
                                  config.curriculum, 0)
    environments = {"abduction": make_environment("abduction")}
    encoder = PromptEncoder(policy.prompt_tokenizer, policy.render_chat, environment_prompt(environments), 48)
    sampling = rollout_sampling(config)
    for problem in sets["training"] + sets["held_out"]:
        request = attempt_request(environments["abduction"], problem, sampling, 8, seed=1)
        assert prompt_token_ids(policy.tokenizer, request) == list(encoder.encode(problem))
        assert (request.max_new_tokens, request.temperature, request.top_p, request.top_k) == (
            config.train.max_new_tokens, config.train.temperature, config.train.top_p, config.train.top_k)


def test_held_out_split_shares_no_family_with_training(dataset_dir):
    config = _config("unused", dataset_dir, 3e-2)
    sets = synthetic_problem_sets((os.path.join(dataset_dir, "multi_turn", "problems-h000.jsonl"),),
                                  config.curriculum, 0)
    assert len(sets["training"]) == 4 and len(sets["held_out"]) == 2
    assert not {p.family_id for p in sets["training"]} & {p.family_id for p in sets["held_out"]}


def test_paired_change_by_hand():
    change = paired_change({"a": 0.25, "b": 0.5, "c": 0.0}, {"a": 0.75, "b": 1.0, "c": 0.5, "d": 1.0})
    assert change["problems"] == 3
    assert change["before"] == pytest.approx(0.25) and change["after"] == pytest.approx(0.75)
    assert change["change"]["mean"] == pytest.approx(0.5) and change["excludes_zero"]
    assert paired_change({}, {"a": 1.0}) == {"problems": 0}


@pytest.mark.slow
@pytest.mark.parametrize("learning_rate, gains", [(3e-2, True), (0.0, False)])
def test_main_job_reports_the_gain_on_its_training_problems(learning_rate, gains, dataset_dir, executor, tmp_path):
    from rl.main import run_main

    figures = run_main(_config(tmp_path, dataset_dir, learning_rate), policy=train_doubles.tiny_digit_policy(),
                       executor=executor, progress=False)
    training = figures["headline"]["synthetic"]["training"]
    assert training["problems"] == 4
    if gains:
        assert training["change"]["mean"] > 0 and training["excludes_zero"], training
    else:
        assert training["change"]["mean"] == 0 and not training["excludes_zero"], training
    report = open(tmp_path / "report.md").read()
    first_lines = report.split("## Data generation")[0]
    assert "training synthetic problems (4 problems)" in first_lines
    assert "held-out synthetic problems (2 problems)" in first_lines
    assert ("excludes 0" if gains else "includes 0") in first_lines
    assert os.path.getsize(tmp_path / "per_problem.png") > 0
    cached = json.load(open(tmp_path / "synthetic_after.json"))
    assert set(cached["pass_rates"]) == {"training", "held_out"}


@pytest.mark.slow
def test_experiment_training_measures_the_change_and_seeds_aggregate(dataset_dir, executor, tmp_path):
    """What every experiment config gets with `synthetic_change.attempts`: rl.train measures the
    same sets before and after and writes the paired change; seeds aggregate with a t-interval."""
    from rl.evaluation.synthetic_change import CHANGE_FILE, aggregate_changes
    from rl.train import train_measuring_synthetic_change

    config = train_doubles.train_config(str(tmp_path), os.path.join(dataset_dir, "multi_turn", "problems-h000.jsonl"),
                                        steps=10, overlong_filtering=False)
    config.grpo.optimizer.learning_rate = 3e-2
    config.curriculum.held_out_fraction = 0.25
    config.synthetic_change.attempts = 16
    result = train_measuring_synthetic_change(config, policy=train_doubles.tiny_digit_policy(), executor=executor,
                                              progress=False)
    assert result.final_step == 10
    changes = json.load(open(tmp_path / CHANGE_FILE))
    assert changes["training"]["problems"] == 4 and changes["held_out"]["problems"] == 2
    assert changes["training"]["change"]["mean"] > 0 and changes["training"]["excludes_zero"], changes
    assert set(json.load(open(tmp_path / "synthetic_before.json"))["pass_rates"]) == {"training", "held_out"}

    other_seed = json.loads(json.dumps(changes))
    other_seed["training"]["change"]["mean"] -= 0.1
    aggregated = aggregate_changes([changes, other_seed])
    assert aggregated["training"]["seeds"] == 2
    assert aggregated["training"]["change"]["mean"] == pytest.approx(changes["training"]["change"]["mean"] - 0.05)
    assert aggregated["training"]["change"]["low"] < aggregated["training"]["change"]["mean"]
