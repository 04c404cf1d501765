"""The resume policy (`checkpoint.resume`): auto / must / never (+ overwrite), for
`rl.train` and `rl.main`, checked before a run writes anything."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from configs.default import get_config
from rl.checkpointing import RESUME_POLICIES, ResumePolicyError, apply_resume_policy, complete_steps

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _checkpoints(directory, *names):
    for name in names:
        os.makedirs(os.path.join(directory, name, "state"))
    return str(directory)


def _one_line(error) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


def test_auto_resumes_when_there_is_a_checkpoint_and_starts_otherwise(tmp_path):
    assert apply_resume_policy(str(tmp_path / "none"), "auto") == []
    directory = _checkpoints(tmp_path / "c", "2", "4", "6.orbax-checkpoint-tmp-1700000000")
    assert apply_resume_policy(directory, "auto") == [2, 4]  # the torn step 6 is not one
    assert complete_steps(directory) == [2, 4]


def test_must_refuses_a_mistyped_or_empty_directory_in_one_line(tmp_path):
    with pytest.raises(ResumePolicyError) as error:
        apply_resume_policy(str(tmp_path / "chekpoints"), "must")
    assert "does not exist" in _one_line(error) and "chekpoints" in str(error.value)
    assert not (tmp_path / "chekpoints").exists()  # nothing was created under the typo
    torn = _checkpoints(tmp_path / "torn", "3.orbax-checkpoint-tmp-1700000000")
    with pytest.raises(ResumePolicyError) as error:
        apply_resume_policy(torn, "must")
    assert "holds no complete checkpoint" in _one_line(error)
    assert apply_resume_policy(_checkpoints(tmp_path / "ok", "3"), "must") == [3]


def test_never_refuses_existing_checkpoints_unless_told_to_move_them_aside(tmp_path):
    assert apply_resume_policy(str(tmp_path / "fresh"), "never") == []
    directory = _checkpoints(tmp_path / "c", "2")
    with pytest.raises(ResumePolicyError) as error:
        apply_resume_policy(directory, "never")
    assert "already holds checkpoints (steps [2])" in _one_line(error)
    assert complete_steps(directory) == [2]  # untouched
    assert apply_resume_policy(directory, "never", overwrite=True, move=False) == []
    assert complete_steps(directory) == [2]  # a non-primary host only checks
    assert apply_resume_policy(directory, "never", overwrite=True) == []
    assert not os.path.exists(directory)
    [aside] = [name for name in os.listdir(tmp_path) if name.startswith("c.replaced-")]
    assert complete_steps(tmp_path / aside) == [2]  # moved, never deleted


def test_an_unknown_policy_is_refused():
    with pytest.raises(ResumePolicyError, match="choose one of"):
        apply_resume_policy("/nonexistent", "sometimes")
    assert get_config().checkpoint.resume in RESUME_POLICIES


def test_train_under_must_stops_before_writing_anything(tmp_path):
    from rl.train import train

    config = get_config("smoke")
    config.output_dir = str(tmp_path / "run")
    config.checkpoint.resume = "must"
    with pytest.raises(ResumePolicyError, match="does not exist"):
        train(config, progress=False)
    assert not os.path.exists(config.output_dir)


def test_main_job_under_must_stops_before_any_stage(tmp_path):
    from rl.main import run_main

    config = get_config("smoke")
    config.output_dir = str(tmp_path / "run")
    config.checkpoint.resume = "must"
    config.checkpoint.directory = str(tmp_path / "run" / "chekpoints")
    with pytest.raises(ResumePolicyError, match="chekpoints does not exist"):
        run_main(config, executor=object(), progress=False)
    assert sorted(os.listdir(config.output_dir)) == [".lock"]  # no stage ran


def test_main_job_never_with_overwrite_moves_the_previous_training_aside(tmp_path):
    from rl.main import _apply_resume_policy

    run = tmp_path / "run"
    _checkpoints(run / "checkpoints", "4")
    for name in ("train", "eval_after", "eval_before", "dataset"):
        (run / name).mkdir(parents=True)
        (run / name / "results.json").write_text("{}")
    config = get_config("smoke")
    config.output_dir = str(run)
    config.checkpoint.resume = "never"
    with pytest.raises(ResumePolicyError):
        _apply_resume_policy(config, str(run))
    config.checkpoint.overwrite = True
    _apply_resume_policy(config, str(run))
    names = sorted(os.listdir(run))
    assert "checkpoints" not in names and "train" not in names and "eval_after" not in names
    assert "eval_before" in names and "dataset" in names  # independent of training: kept
    [aside] = [name for name in names if name.startswith("replaced-")]
    assert sorted(os.listdir(run / aside)) == ["eval_after", "train"]
    assert any(name.startswith("checkpoints.replaced-") for name in names)


def test_the_train_command_prints_one_line_for_a_missing_checkpoint(tmp_path):
    missing = tmp_path / "run" / "checkpoints"
    data = tmp_path / "problems.jsonl"   # the data check comes first; any existing file passes it
    data.write_text("{}\n")
    done = subprocess.run(
        [sys.executable, "-m", "rl.train", "--config=configs/train.py",
         f"--config.output_dir={tmp_path / 'run'}", "--config.checkpoint.resume=must",
         f"--config.curriculum.data_files=('{data}',)"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: checkpoint.resume='must'") and str(missing) in last
    assert "Traceback" not in done.stderr
