"""The GRPO trainer end to end on a tiny policy and real abduction problems graded in the
gVisor sandbox: it learns, zeroed advantages do not, asynchrony is recorded, and a killed
or preempted run resumes exactly."""
import os
import signal
import subprocess
import sys
import time

import jax.numpy as jnp
import numpy as np
import pytest

from rl.grpo.advantages import ADVANTAGE_ESTIMATORS
from rl.train import train
from sandbox.executor import SandboxExecutor
from tests.rl import train_doubles

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

if "zeroed_for_test" not in ADVANTAGE_ESTIMATORS:
    @ADVANTAGE_ESTIMATORS.register("zeroed_for_test")
    def _zeroed_advantages(grouped_rewards):
        return jnp.zeros_like(grouped_rewards)


@pytest.fixture(scope="module")
def executor():
    with SandboxExecutor(workers=2) as pool:
        yield pool


@pytest.fixture(scope="module")
def data_file(tmp_path_factory, executor):
    path = str(tmp_path_factory.mktemp("data") / "problems.jsonl")
    train_doubles.write_abduction_dataset(path, executor)
    return path


def _rewards(result):
    return np.array([m["reward_mean"] for m in result.metrics])


@pytest.fixture(scope="module")
def learning_runs(tmp_path_factory, data_file, executor):
    runs = {}
    for name, estimator in (("grpo", "group_mean"), ("zeroed", "zeroed_for_test")):
        config = train_doubles.train_config(str(tmp_path_factory.mktemp(name)), data_file, steps=14,
                                            overlong_filtering=False, advantage_estimator=estimator)
        runs[name] = train(config, policy=train_doubles.tiny_digit_policy(), executor=executor, progress=False)
    return runs


def test_grpo_raises_mean_reward_and_zeroed_advantages_do_not(learning_runs):
    learned, zeroed = _rewards(learning_runs["grpo"]), _rewards(learning_runs["zeroed"])
    assert len(learned) == len(zeroed) == 14
    # Margin stated: the last four steps average at least 0.1 above the first two, and at
    # least 0.1 above the same run with advantages zeroed.
    assert learned[-4:].mean() >= learned[:2].mean() + 0.1
    assert learned[-4:].mean() >= zeroed[-4:].mean() + 0.1
    assert abs(zeroed[-4:].mean() - zeroed[:4].mean()) < 0.15


def test_one_step_off_policy_rollouts_record_their_version(learning_runs):
    metrics = learning_runs["grpo"].metrics
    assert [m["policy_version_sampled"] for m in metrics[:3]] == [0.0, 0.0, 1.0]
    assert all(m["staleness"] == 1.0 for m in metrics[1:])
    assert metrics[0]["staleness"] == 0.0
    weights = [m["train/importance_weight_mean"] for m in metrics[1:6]]
    assert any(abs(w - 1.0) > 1e-4 for w in weights)
    assert all(m["time_grading_s"] > 0 for m in metrics)     # the sandbox's own time, overlapped or not
    for name in ("time_generation_s", "time_training_s", "time_grading_wait_s", "entropy_estimate",
                 "response_length_mean", "train/clip_fraction", "train/advantage_std"):
        assert name in metrics[-1]
    assert any(key.startswith("reward_by_environment/abduction") for key in metrics[-1])
    run_dir = learning_runs["grpo"].output_dir
    assert os.path.exists(os.path.join(run_dir, "metrics.csv"))
    assert os.listdir(os.path.join(run_dir, "tensorboard"))
    with open(os.path.join(run_dir, "rollouts.jsonl")) as handle:
        assert handle.readline().startswith('{"completion"')


def _metrics_rows(run_dir):
    import csv

    with open(os.path.join(run_dir, "train", "metrics.csv")) as handle:
        rows = list(csv.DictReader(handle))
    keep = ("step", "reward_mean", "train/loss", "train/importance_weight_mean", "policy_version_sampled")
    return [{k: row[k] for k in keep} for row in rows]


def _final_params(run_dir):
    from rl.checkpointing import Checkpointer

    checkpointer = Checkpointer(os.path.join(run_dir, "checkpoints"))
    steps = checkpointer.steps()
    checkpointer.close()
    return steps


def test_sigkill_then_restart_continues_exactly(tmp_path, data_file):
    command = [sys.executable, "-m", "tests.rl.train_doubles"]
    reference = str(tmp_path / "reference")
    subprocess.run(command + [reference, data_file, "--steps", "5"], cwd=ROOT, check=True, capture_output=True,
                   timeout=900)
    killed = str(tmp_path / "killed")
    process = subprocess.Popen(command + [killed, data_file, "--steps", "5"], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 900
    checkpoints = os.path.join(killed, "checkpoints")
    while time.time() < deadline:  # kill once step 2 is checkpointed, mid-run
        if os.path.isdir(checkpoints) and any(name.isdigit() and int(name) >= 2 for name in os.listdir(checkpoints)):
            break
        time.sleep(0.5)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    resumed = subprocess.run(command + [killed, data_file, "--steps", "5"], cwd=ROOT, capture_output=True,
                             timeout=900)
    assert resumed.returncode == 0, resumed.stderr.decode()[-3000:]
    assert b"resumed from checkpoint step" in resumed.stderr
    assert _metrics_rows(killed) == _metrics_rows(reference)
    from safetensors.numpy import load_file  # noqa: F401  (params compared through the last checkpoint)

    assert _final_params(killed)[-1] == _final_params(reference)[-1] == 5
    _assert_same_last_params(reference, killed)


def _assert_same_last_params(first_dir, second_dir):
    import jax

    from rl.checkpointing import Checkpointer
    from rl.train_step import create_train_state, make_optimizer

    policy = train_doubles.tiny_digit_policy()
    config = train_doubles.train_config("unused", "unused")
    like = create_train_state(policy.params, make_optimizer(config.grpo.optimizer))
    restored = []
    for directory in (first_dir, second_dir):
        with Checkpointer(os.path.join(directory, "checkpoints")) as checkpointer:
            restored.append(checkpointer.restore_latest(like, jax.random.key(0)).state.params)
    for left, right in zip(jax.tree.leaves(restored[0]), jax.tree.leaves(restored[1])):
        np.testing.assert_array_equal(np.asarray(left), np.asarray(right))


def test_sigterm_saves_the_current_step(tmp_path, data_file):
    run_dir = str(tmp_path / "preempted")
    process = subprocess.Popen([sys.executable, "-m", "tests.rl.train_doubles", run_dir, data_file, "--steps", "50"],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    metrics = os.path.join(run_dir, "train", "metrics.csv")
    deadline = time.time() + 900
    while time.time() < deadline:
        if os.path.exists(metrics) and sum(1 for _ in open(metrics)) >= 3:   # header + 2 steps
            break
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr.decode()[-3000:]
    logged = sum(1 for _ in open(metrics)) - 1
    assert b"SIGTERM: saved step" in stderr
    assert max(_final_params(run_dir)) == logged
