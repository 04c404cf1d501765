"""The main job at its smallest size: a tiny policy on a tiny existing dataset, HumanEval
on two problems before and after, and a kill during training that resumes to the same
report figures."""
import csv
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from sandbox.executor import SandboxExecutor
from tests.rl import train_doubles

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("dataset")
    os.makedirs(directory / "multi_turn")
    with SandboxExecutor(workers=2) as executor:
        train_doubles.write_abduction_dataset(str(directory / "multi_turn" / "problems-h000.jsonl"), executor)
    return str(directory)


def _run(run_dir, dataset_dir, wait=True):
    command = [sys.executable, "-m", "tests.rl.train_doubles", run_dir, dataset_dir, "--main-job", "--steps", "4"]
    if not wait:
        return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, timeout=1200)
    assert finished.returncode == 0, finished.stderr.decode()[-3000:]
    return finished


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory, dataset_dir):
    run_dir = str(tmp_path_factory.mktemp("main"))
    _run(run_dir, dataset_dir)
    return run_dir


def test_main_job_writes_report_plots_csv_and_tensorboard(reference_run):
    figures = json.load(open(os.path.join(reference_run, "report.json")))
    with open(os.path.join(reference_run, "train", "metrics.csv")) as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 4 == figures["headline"]["training_steps"]
    last_two = sum(float(r["reward_mean"]) for r in rows[-2:]) / 2
    assert figures["headline"]["reward_last_steps"] == pytest.approx(last_two)
    assert [r["benchmark"] for r in figures["evaluation"]] == ["humaneval"]
    assert figures["evaluation"][0]["problems"] == 2
    for name in ("training_curves.png", "evaluation.png", "time_split.png", "config.json", "stage_times.json"):
        assert os.path.getsize(os.path.join(reference_run, name)) > 0
    assert os.listdir(os.path.join(reference_run, "train", "tensorboard"))
    report = open(os.path.join(reference_run, "report.md")).read()
    assert "cannot" in report and "humaneval" in report
    assert f"{100 * last_two:.1f}" in report or f"{last_two}" in report
    stages = json.load(open(os.path.join(reference_run, "stage_times.json")))
    assert set(stages) == {"data_generation", "evaluation_before", "training", "evaluation_after", "report"}


def test_killed_main_job_resumes_to_the_same_figures(reference_run, dataset_dir, tmp_path):
    run_dir = str(tmp_path / "killed")
    process = _run(run_dir, dataset_dir, wait=False)
    checkpoints = os.path.join(run_dir, "checkpoints")
    deadline = time.time() + 1200
    while time.time() < deadline:
        if os.path.isdir(checkpoints) and any(n.isdigit() and int(n) >= 2 for n in os.listdir(checkpoints)):
            break
        assert process.poll() is None, "the main job ended before it could be killed"
        time.sleep(0.5)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    assert not os.path.exists(os.path.join(run_dir, "report.json"))
    _run(run_dir, dataset_dir)
    resumed = json.load(open(os.path.join(run_dir, "report.json")))
    reference = json.load(open(os.path.join(reference_run, "report.json")))
    assert resumed["headline"] == reference["headline"]
    assert resumed["evaluation"] == reference["evaluation"]
