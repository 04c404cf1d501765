"""A resumed main job does not rerun a finished evaluation: `rl.main` reads each
evaluation's `eval_results.json` (the name `rl.evaluation.report.write_report` writes)
and evaluates again only where it is missing or torn. Every costly stage is a double;
the evaluation report itself is the real one."""
from __future__ import annotations

import json
import os
import types

import pytest

import rl.main
from rl.evaluation import synthetic_change
from configs.default import get_config
from rl.evaluation.report import RESULTS_JSON


@pytest.fixture
def job(tmp_path, monkeypatch):
    calls = {"evaluations": [], "trainings": 0}
    evaluating = {}

    def run_suite(eval_config, generator, resources):
        calls["evaluations"].append(evaluating["label"])
        return []

    original_evaluate = rl.main._evaluate

    def evaluate(config, policy, executor, directory, label):
        evaluating["label"] = label
        return original_evaluate(config, policy, executor, directory, label)

    def train(config, **kwargs):
        calls["trainings"] += 1
        return types.SimpleNamespace(metrics=[])

    monkeypatch.setattr(rl.main, "_evaluate", evaluate)
    monkeypatch.setattr(rl.main, "_data_generation", lambda *args: str(tmp_path / "dataset"))
    monkeypatch.setattr(rl.main, "_problem_files", lambda directory: ())
    monkeypatch.setattr(rl.main, "_chain_files", lambda directory: ())
    monkeypatch.setattr(rl.main, "run_suite", run_suite)
    for module in (rl.main, synthetic_change):   # the synthetic measurement builds its own generator
        monkeypatch.setattr(module, "policy_generator", lambda policy: None)
    monkeypatch.setattr(rl.main, "train", train)
    monkeypatch.setattr(rl.main, "write_main_report",
                        lambda output_dir, dataset_dir, before, after, *rest, **figures: {"before": before["metadata"]["label"],
                                                                               "after": after["metadata"]["label"]})
    config = get_config("smoke")
    config.output_dir = str(tmp_path / "run")
    policy = types.SimpleNamespace(graphdef=None, params=None, pad_id=0, tokenizer=None, name="double")

    def run():
        return rl.main.run_main(config, policy=policy, executor=object(), progress=False)

    return run, calls, config.output_dir


def test_a_rerun_of_a_finished_job_evaluates_nothing_again(job):
    run, calls, output_dir = job
    assert run() == {"before": "before", "after": "after"}
    assert calls == {"evaluations": ["before", "after"], "trainings": 1}
    for label in ("before", "after"):
        with open(os.path.join(output_dir, f"eval_{label}", RESULTS_JSON)) as handle:
            assert json.load(handle)["metadata"]["label"] == label
    assert run() == {"before": "before", "after": "after"}  # from the cached results
    assert calls["evaluations"] == ["before", "after"]


def test_a_job_killed_before_the_last_evaluation_reruns_only_that_one(job):
    run, calls, output_dir = job
    run()
    os.unlink(os.path.join(output_dir, "eval_after", RESULTS_JSON))  # as if killed before it
    with open(os.path.join(output_dir, "eval_before", RESULTS_JSON), "r+") as handle:
        assert handle.read()  # the finished one stays
    run()
    assert calls["evaluations"] == ["before", "after", "after"]


def test_a_torn_results_file_is_evaluated_again(job):
    run, calls, output_dir = job
    run()
    path = os.path.join(output_dir, "eval_before", RESULTS_JSON)
    with open(path, "r+") as handle:
        handle.truncate(len(handle.read()) // 2)  # a kill mid-write
    assert run()["before"] == "before"
    assert calls["evaluations"] == ["before", "after", "before"]
