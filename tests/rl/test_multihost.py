"""Multi-host training for real: two processes on this machine (one CPU device each),
joined by jax.distributed through scripts/launch_tpu_pod.sh --local, train the tiny digit
policy for a few GRPO steps, each drawing and grading its own shard of every step's
prompts; their metrics, final parameters and export equal a single-process run's on the
same two-device mesh with the same global batch, and launched again they restore the
checkpoint they saved together."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from flax import nnx

from sandbox.executor import SandboxExecutor
from tests.rl import train_doubles

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STEPS = 3
WORKER = ["-m", "tests.rl.multihost_worker"]
# Wall-clock and per-process figures, not results of the run: they differ between runs.
UNSTABLE = ("time_", "tokens_per_s")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("multihost")
    data_file = str(base / "problems.jsonl")
    with SandboxExecutor(workers=1) as executor:
        train_doubles.write_abduction_dataset(data_file, executor)
    single_dir, multi_dir = str(base / "single"), str(base / "multi")
    single_environment = dict(os.environ, JAX_PLATFORMS="cpu",
                              XLA_FLAGS="--xla_force_host_platform_device_count=2")
    for name in ("JAX_COORDINATOR_ADDRESS", "JAX_NUM_PROCESSES", "JAX_PROCESS_ID"):
        single_environment.pop(name, None)
    # Both runs at once: most of their wall time is waiting (sandbox start-up, compiles).
    single = subprocess.Popen([sys.executable, *WORKER, single_dir, data_file, "--steps", str(STEPS),
                               "--expect-processes", "1"], cwd=ROOT, env=single_environment,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def launch_two(tag):
        return subprocess.Popen(["bash", "scripts/launch_tpu_pod.sh", "--local", "2", "--devices-per-process", "1",
                                 "--log-dir", os.path.join(multi_dir, f"logs-{tag}"), "--",
                                 sys.executable, *WORKER, multi_dir, data_file, "--steps", str(STEPS),
                                 "--expect-processes", "2", "--tag", tag],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def check(process, tag):
        output, _ = process.communicate(timeout=600)
        directory = os.path.join(multi_dir, f"logs-{tag}")
        logs = "\n".join(open(os.path.join(directory, f)).read()[-3000:] for f in sorted(os.listdir(directory)))
        assert process.returncode == 0, output.decode()[-2000:] + logs

    multi = launch_two("run")
    single_output, _ = single.communicate(timeout=600)
    assert single.returncode == 0, single_output.decode()[-3000:]
    check(multi, "run")
    check(launch_two("restore"), "restore")
    return single_dir, multi_dir


def _report(run_dir, index, tag="run"):
    with open(os.path.join(run_dir, f"worker-{tag}-{index}.json")) as handle:
        return json.load(handle)


def _stable(rows):
    return [{k: v for k, v in row.items() if not any(part in k for part in UNSTABLE)} for row in rows]


def test_workers_were_two_joined_processes(runs):
    _, multi_dir = runs
    reports = [_report(multi_dir, index) for index in (0, 1)]
    assert [r["process_count"] for r in reports] == [2, 2]
    assert [r["process_index"] for r in reports] == [0, 1]
    assert [(r["global_devices"], r["local_devices"]) for r in reports] == [(2, 1), (2, 1)]


def test_metrics_equal_a_single_process_run(runs):
    single_dir, multi_dir = runs
    reference = _stable(_report(single_dir, 0)["metrics"])
    assert len(reference) == STEPS and _report(single_dir, 0)["process_count"] == 1
    assert any(row["train/grad_norm"] > 0 for row in reference)
    for index in (0, 1):
        assert _stable(_report(multi_dir, index)["metrics"]) == reference
    # Only process 0 wrote the metrics file: one row per step, no duplicates.
    with open(os.path.join(multi_dir, "train", "metrics.csv")) as handle:
        assert [line.split(",")[0] for line in handle.read().splitlines()[1:]] == [str(s) for s in range(STEPS)]


def test_final_parameters_equal_a_single_process_run_and_moved(runs):
    single_dir, multi_dir = runs
    reference = np.load(os.path.join(single_dir, "params-run-0.npz"))
    initial = {".".join(map(str, path)): np.asarray(variable.get_value())
               for path, variable in nnx.to_flat_state(train_doubles.tiny_digit_policy().params)}
    assert sorted(reference.files) == sorted(initial)
    assert any(not np.array_equal(reference[name], initial[name]) for name in reference.files)
    for index in (0, 1):
        params = np.load(os.path.join(multi_dir, f"params-run-{index}.npz"))
        assert sorted(params.files) == sorted(reference.files)
        for name in reference.files:
            np.testing.assert_allclose(params[name], reference[name], rtol=1e-6, atol=1e-7, err_msg=name)


def test_the_export_of_process_zero_matches_a_single_process_export(runs):
    from safetensors.numpy import load_file

    single_dir, multi_dir = runs
    exported = load_file(os.path.join(multi_dir, "export", "model.safetensors"))
    reference = load_file(os.path.join(single_dir, "export", "model.safetensors"))
    assert sorted(exported) == sorted(reference)
    for name in reference:
        np.testing.assert_allclose(exported[name], reference[name], rtol=1e-6, atol=1e-7, err_msg=name)


def test_a_relaunch_restores_the_shared_checkpoint_on_every_process(runs):
    _, multi_dir = runs
    steps = sorted(int(name) for name in os.listdir(os.path.join(multi_dir, "checkpoints")) if name.isdigit())
    assert steps[-1] == STEPS
    for index in (0, 1):
        report = _report(multi_dir, index, "restore")
        assert report["process_count"] == 2
        assert report["restored_from"] == STEPS and report["final_step"] == STEPS
        trained = np.load(os.path.join(multi_dir, f"params-run-{index}.npz"))
        restored = np.load(os.path.join(multi_dir, f"params-restore-{index}.npz"))
        for name in trained.files:
            np.testing.assert_array_equal(restored[name], trained[name], err_msg=name)
