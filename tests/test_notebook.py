"""notebooks/analysis.ipynb executes headless (nbclient) on tiny run dirs made here with
the trainer's own metrics writer: two arms of an experiment, two seeds each; its figures
are written and its final-reward table aggregates the seeds as stated."""
import json
import os

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from configs.experiments import curricula
from rl.metrics_log import MetricsLog

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOK = os.path.join(ROOT, "notebooks", "analysis.ipynb")
STEPS = 10


def _reward(arm_index: int, seed: int, step: int) -> float:
    return 0.1 * arm_index + 0.02 * seed + 0.01 * step


def _pass_at_1(arm_index: int, seed: int, stage: str) -> float:
    return 0.5 + 0.1 * arm_index + 0.01 * seed + (0.05 * (arm_index + 1) if stage == "after" else 0.0)


def _write_evaluations(run_dir: str, arm_index: int, seed: int) -> None:
    """eval_before/ and eval_after/ as rl.main writes them (only the fields the notebook reads)."""
    for stage in ("before", "after"):
        os.makedirs(os.path.join(run_dir, f"eval_{stage}"))
        score = {"split": "all", "num_problems": 20,
                 "pass_at": {"pass@1": {"mean": _pass_at_1(arm_index, seed, stage), "low": 0.0, "high": 1.0}}}
        with open(os.path.join(run_dir, f"eval_{stage}", "eval_results.json"), "w") as handle:
            json.dump({"benchmarks": [{"benchmark": "humaneval", "scores": [score]}]}, handle)


def _write_run(run_dir: str, arm: str, arm_index: int, seed: int) -> None:
    config = curricula.get_config(f"smoke,{arm}")
    config.train.seed = seed
    train_dir = os.path.join(run_dir, "train")
    os.makedirs(train_dir)
    with open(os.path.join(train_dir, "config.json"), "w") as handle:
        handle.write(config.to_json_best_effort())
    log = MetricsLog(train_dir)
    for step in range(STEPS):
        reward = _reward(arm_index, seed, step)
        log.write(step, {"reward_mean": reward, "pass_rate_any_in_group": min(1.0, 2 * reward),
                         "reward_by_bin/easy": reward + 0.1, "reward_by_bin/medium": reward,
                         "reward_by_environment/abduction": reward, "time_generation_s": 1.0 + seed,
                         "time_grading_wait_s": 0.5, "time_training_s": 2.0})
    log.close()


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    for arm_index, arm in enumerate(("classic", "reverse")):
        for seed in (0, 1):
            _write_run(str(runs / f"{arm}-seed{seed}"), arm, arm_index, seed)
            _write_evaluations(str(runs / f"{arm}-seed{seed}"), arm_index, seed)
    (runs / "not-a-run").mkdir()
    figures = tmp_path_factory.mktemp("figures")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    parameters = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(parameters) == 1, "the notebook has one cell tagged 'parameters'"
    parameters[0].source = f"RUN_DIRS = [{str(runs / '*')!r}]\nSMOOTHING = 0.0\nFIGURE_DIR = {str(figures)!r}\n"
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": ROOT}}).execute()
    outputs = "".join(output.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                      for output in cell.get("outputs", []))
    return outputs, figures


def test_the_notebook_groups_runs_by_arm_with_their_seeds(executed):
    outputs, _ = executed
    assert "4 runs, 2 curves" in outputs
    assert "curricula/classic: seeds [0, 1], 10 steps" in outputs
    assert "curricula/reverse: seeds [0, 1], 10 steps" in outputs


def test_the_final_reward_table_is_the_seed_mean_of_the_last_steps(executed):
    outputs, _ = executed
    for arm_index, arm in enumerate(("classic", "reverse")):
        finals = [_reward(arm_index, seed, STEPS - 1) for seed in (0, 1)]     # last 10% of 10 steps
        row = f"| curricula/{arm} | 2 | {np.mean(finals):.4f} | {min(finals):.4f} | {max(finals):.4f} |"
        assert row in outputs


def test_the_evaluation_table_is_the_seed_mean_before_and_after(executed):
    outputs, _ = executed
    for arm_index, arm in enumerate(("classic", "reverse")):
        before = np.mean([_pass_at_1(arm_index, seed, "before") for seed in (0, 1)])
        after = np.mean([_pass_at_1(arm_index, seed, "after") for seed in (0, 1)])
        row = (f"| curricula/{arm} | humaneval | all | pass@1 | 2 | {before:.4f} | {after:.4f} "
               f"| {after - before:+.4f} |")
        assert row in outputs


def test_the_notebook_writes_every_figure(executed):
    _, figures = executed
    names = sorted(os.listdir(figures))
    assert names == ["evaluation_before_after.png", "pass_rate_by_bin.png", "pass_rate_by_environment.png", "reward_and_pass_rate.png",
                     "time_split.png"]
    assert all(os.path.getsize(os.path.join(figures, name)) > 5000 for name in names)
    with open(NOTEBOOK) as handle:
        assert all(not cell.get("outputs") for cell in json.load(handle)["cells"] if cell["cell_type"] == "code"), \
            "the notebook is stored without outputs"
