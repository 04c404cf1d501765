"""notebooks/analysis.ipynb executes headless (nbclient) on tiny run dirs laid out as
rl.main writes them, made here with the project's own writers (the resolved config, the
trainer's config and metrics log, the evaluation reports before and after): two arms of an
experiment, two seeds each; its figures are written and its tables aggregate the seeds as
stated. With its default parameters, run from a directory holding `runs/`, it finds the
run that `python -m rl.main --config=configs/default.py` makes (`runs/default`) and the one
`python -m rl.train --config=configs/train.py` makes (`runs/train`), without Colab."""
import json
import os

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from configs import default as default_config
from configs import train as train_config
from configs.experiments import curricula
from rl.evaluation.report import write_report
from rl.evaluation.runner import BenchmarkResult, ProblemOutcome, ScoringSettings, score_outcomes
from rl.evaluation.sampling import EvalSampling
from rl.metrics_log import MetricsLog

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOK = os.path.join(ROOT, "notebooks", "analysis.ipynb")
STEPS = 10


def _reward(arm_index: int, seed: int, step: int) -> float:
    return 0.1 * arm_index + 0.02 * seed + 0.01 * step


def _pass_at_1(arm_index: int, seed: int, stage: str) -> float:
    return 0.5 + 0.1 * arm_index + 0.05 * seed + (0.05 * (arm_index + 1) if stage == "after" else 0.0)


PROBLEMS = 20


def _humaneval_result(pass_at_1: float) -> BenchmarkResult:
    """A greedy HumanEval result over PROBLEMS problems with the given pass@1."""
    solved = int(round(pass_at_1 * PROBLEMS))
    outcomes = [ProblemOutcome(problem_id=f"HumanEval/{i}", splits=("all",), answers=("a",), correct=(i < solved,),
                               reasons=("passed" if i < solved else "wrong_answer",)) for i in range(PROBLEMS)]
    scores, skipped = score_outcomes(outcomes, ScoringSettings(k_values=(1,)))
    return BenchmarkResult(benchmark="humaneval", scores=tuple(scores), outcomes=tuple(outcomes), wall_time_s=3.0,
                           sampling=EvalSampling(num_samples=1), skipped_k=tuple(skipped))


def _write_metrics(train_dir: str, config, rewards) -> None:
    """train/config.json and train/metrics.csv (+ TensorBoard events), as rl.train.train writes them."""
    os.makedirs(train_dir)
    with open(os.path.join(train_dir, "config.json"), "w") as handle:
        handle.write(config.to_json_best_effort(indent=2, sort_keys=True))
    log = MetricsLog(train_dir)
    for step, reward in enumerate(rewards):
        log.write(step, {"reward_mean": reward, "pass_rate_any_in_group": min(1.0, 2 * reward),
                         "reward_by_bin/easy": reward + 0.1, "reward_by_bin/medium": reward,
                         "reward_by_environment/abduction": reward, "time_generation_s": 1.0 + step % 2,
                         "time_grading_wait_s": 0.5, "time_training_s": 2.0})
    log.close()


def _synthetic_change(arm_index: int, seed: int) -> dict:
    """synthetic_change.json as rl.evaluation.synthetic_change.write_changes writes it."""
    before, change = 0.4 + 0.1 * seed, 0.1 * (arm_index + 1) - 0.05 * seed
    return {"training": {"problems": 6, "before": before, "after": before + change,
                         "change": {"mean": change, "low": change - 0.08, "high": change + 0.08},
                         "excludes_zero": change - 0.08 > 0},
            "held_out": {"problems": 0}}


def _write_main_run(run_dir: str, config, rewards, before: float, after: float, synthetic=None) -> None:
    """What rl.main.run_main leaves in its output dir: config.json, stage_times.json, train/,
    eval_before/ and eval_after/ (write_report's files), synthetic_change.json, report.md."""
    os.makedirs(run_dir)
    if synthetic is not None:
        with open(os.path.join(run_dir, "synthetic_change.json"), "w") as handle:
            json.dump(synthetic, handle)
    with open(os.path.join(run_dir, "config.json"), "w") as handle:
        handle.write(config.to_json_best_effort(indent=2, sort_keys=True))
    with open(os.path.join(run_dir, "stage_times.json"), "w") as handle:
        json.dump({"data_generation": 1.0, "evaluation_before": 1.0, "training": 1.0}, handle)
    _write_metrics(os.path.join(run_dir, "train"), config, rewards)
    for stage, value in (("before", before), ("after", after)):
        write_report([_humaneval_result(value)], os.path.join(run_dir, f"eval_{stage}"),
                     {"label": stage, "policy": str(config.model.checkpoint)})
    with open(os.path.join(run_dir, "report.md"), "w") as handle:
        handle.write("# report\n")


def _write_run(run_dir: str, arm: str, arm_index: int, seed: int) -> None:
    config = curricula.get_config(f"smoke,{arm}")
    config.train.seed = seed
    _write_main_run(run_dir, config, [_reward(arm_index, seed, step) for step in range(STEPS)],
                    _pass_at_1(arm_index, seed, "before"), _pass_at_1(arm_index, seed, "after"),
                    _synthetic_change(arm_index, seed))


def _execute(notebook, directory: str) -> str:
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": directory}}).execute()
    return "".join(output.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                   for output in cell.get("outputs", []))


def _parameters(notebook):
    parameters = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(parameters) == 1, "the notebook has one cell tagged 'parameters'"
    return parameters[0]


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    for arm_index, arm in enumerate(("classic", "reverse")):
        for seed in (0, 1):
            _write_run(str(runs / f"{arm}-seed{seed}"), arm, arm_index, seed)
    (runs / "not-a-run").mkdir()
    figures = tmp_path_factory.mktemp("figures")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    _parameters(notebook).source = (f"RUN_DIRS = [{str(runs / '*')!r}]\nSMOOTHING = 0.0\nFIGURE_DIR = {str(figures)!r}\n"
                                    "MOUNT_DRIVE = False\nDRIVE_MOUNT_POINT = ''\n")
    return _execute(notebook, ROOT), figures


@pytest.fixture(scope="module")
def default_layout(tmp_path_factory):
    """A directory as the README's quick start leaves it: runs/default from rl.main and
    runs/train from rl.train (their default output_dir), plus a data_gen output that is
    not a training run. The notebook runs with its own default parameters."""
    root = tmp_path_factory.mktemp("checkout")
    main = default_config.get_config()
    _write_main_run(str(root / main.output_dir), main, [0.1, 0.2, 0.3], 0.8, 0.85)
    train = train_config.get_config()
    _write_metrics(str(root / train.output_dir / "train"), train, [0.4, 0.5])
    (root / "runs" / "data_gen" / "multi_turn").mkdir(parents=True)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    parameters = _parameters(notebook).source
    assert 'RUN_DIRS = ["runs/*", "runs/*/*"]' in parameters and "MOUNT_DRIVE = False" in parameters
    return _execute(notebook, str(root))


def test_the_default_parameters_find_the_runs_the_readme_commands_make(default_layout):
    assert "2 runs, 2 curves" in default_layout
    assert "  default: seeds [0], 3 steps" in default_layout
    assert "  train: seeds [0], 2 steps" in default_layout
    assert "| default | humaneval | all | pass@1 | 1 | 0.8000 | 0.8500 | +0.0500 |" in default_layout
    assert "| train | 1 | 0.5000 | 0.5000 | 0.5000 |" in default_layout


def test_the_notebook_mounts_drive_only_when_asked():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    sources = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    mounting = [source for source in sources if "google.colab" in source]
    assert len(mounting) == 1
    guarded = mounting[0].split("if MOUNT_DRIVE:", 1)
    assert len(guarded) == 2 and "google.colab" not in guarded[0] and "drive.mount(DRIVE_MOUNT_POINT)" in guarded[1]


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


def test_the_synthetic_change_table_is_the_seed_mean_with_the_seeds_that_exclude_zero(executed):
    outputs, _ = executed
    for arm_index, arm in enumerate(("classic", "reverse")):
        measured = [_synthetic_change(arm_index, seed)["training"] for seed in (0, 1)]
        before = np.mean([m["before"] for m in measured])
        after = np.mean([m["after"] for m in measured])
        change = np.mean([m["change"]["mean"] for m in measured])
        excluding = sum(m["excludes_zero"] for m in measured)
        row = (f"| curricula/{arm} | training | 2 | 6/6 | {before:.4f} | {after:.4f} | {change:+.4f} "
               f"| {excluding} of 2 |")
        assert row in outputs
    assert "| held_out |" not in outputs   # a set with no problems is not a row


def test_the_notebook_writes_every_figure(executed):
    _, figures = executed
    names = sorted(os.listdir(figures))
    assert names == ["evaluation_before_after.png", "pass_rate_by_bin.png", "pass_rate_by_environment.png", "reward_and_pass_rate.png",
                     "time_split.png"]
    assert all(os.path.getsize(os.path.join(figures, name)) > 5000 for name in names)
    with open(NOTEBOOK) as handle:
        assert all(not cell.get("outputs") for cell in json.load(handle)["cells"] if cell["cell_type"] == "code"), \
            "the notebook is stored without outputs"
