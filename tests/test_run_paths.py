"""Run directories on another filesystem scheme (configs.run_paths): a data-generation run and a
training run whose output directories are `testfs://` paths (tests/fixtures/mapped_scheme.py,
offline, stored under tmp_path) write their records, metrics, reports and checkpoints
there and resume from them; nothing lands in `<cwd>/testfs:`, where a path handed to
os/pathlib/open would go."""
import csv
import json
import os

import pytest

from configs import run_paths
from tests.fixtures.mapped_scheme import mapped_scheme


@pytest.fixture
def storage(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "storage"
    root.mkdir()
    with mapped_scheme(root, monkeypatch):
        yield root
    assert not (tmp_path / "testfs:").exists(), "a run path went to os/pathlib instead of configs.run_paths"


def test_helpers_keep_local_paths_and_reach_the_scheme(storage, tmp_path):
    assert run_paths.is_local("runs/x") and not run_paths.is_local("gs://bucket/run1")
    assert str(run_paths.run_path("gs://bucket/run1") / "train") == "gs://bucket/run1/train"
    assert run_paths.join("gs://bucket/run1", "train", "metrics.csv") == "gs://bucket/run1/train/metrics.csv"
    assert run_paths.join("runs/x", "train") == "runs/x/train"

    from rl.state_files import OutputDirLock, read_json_or_none, write_json_atomic

    run_paths.makedirs("testfs://b/run/sub")
    write_json_atomic("testfs://b/run/manifest.json", {"complete": True})
    assert json.loads((storage / "b/run/manifest.json").read_text()) == {"complete": True}
    assert read_json_or_none("testfs://b/run/manifest.json") == {"complete": True}
    assert read_json_or_none("testfs://b/run/missing.json") is None
    with OutputDirLock("testfs://b/run"):   # no flock there: a warning, no error
        pass
    for name in ("a-h000.jsonl", "a-h001.jsonl", "b-h000.jsonl"):
        run_paths.run_path(f"testfs://b/run/sub/{name}").write_text("{}\n")
    assert run_paths.glob("testfs://b/run/sub/a-h*.jsonl") == ["testfs://b/run/sub/a-h000.jsonl",
                                                               "testfs://b/run/sub/a-h001.jsonl"]
    assert run_paths.glob("testfs://b/run/*/b-h000.jsonl") == ["testfs://b/run/sub/b-h000.jsonl"]
    run_paths.move("testfs://b/run/sub", "testfs://b/run/aside")
    assert sorted(run_paths.listdir("testfs://b/run/aside")) == ["a-h000.jsonl", "a-h001.jsonl", "b-h000.jsonl"]
    assert not run_paths.exists("testfs://b/run/sub")
    with pytest.raises(FileNotFoundError):
        run_paths.open_file("testfs://b/run/none.txt")


def test_shards_append_repair_and_read_on_the_scheme(storage):
    from data_gen.shards import ReadStats, ShardWriter, read_records

    path = "testfs://b/shards/problems-h000.jsonl"
    with ShardWriter(path) as writer:
        writer.write({"n": 1})
        writer.write({"n": 2})
    with open(storage / "b/shards/problems-h000.jsonl", "a") as handle:
        handle.write('{"n": 3')                             # a write cut short
    with ShardWriter(path) as writer:
        assert writer.torn_tail_repaired
        writer.write({"n": 4})
    stats = ReadStats()
    assert [row["n"] for row in read_records(path, json.loads, stats)] == [1, 2, 4]
    assert stats.read == 3 and not stats.skipped


def test_data_generation_writes_and_resumes_its_records_there(storage):
    from data_gen import output_layout, report
    from data_gen.pipeline import TeacherUnavailableError
    from tests.data_gen import pipeline_driver

    output_dir = "testfs://bucket/data"
    with pytest.raises(TeacherUnavailableError):
        pipeline_driver.run(output_dir, fail_after=7)
    kept = {p.name: p.read_text().splitlines() for p in (storage / "bucket/data/multi_turn").iterdir()}
    assert sum(map(len, kept.values())) > 0
    manifest = pipeline_driver.run(output_dir)
    for name, lines in kept.items():
        assert set(lines) <= set((storage / "bucket/data/multi_turn" / name).read_text().splitlines())
    records = output_layout.read_arm(output_dir, "multi_turn")
    assert records.problems and not records.stats.skipped
    assert len({a.attempt_id for a in records.attempts}) == len(records.attempts)
    summary = report.write_report(output_dir, (0.01, 0.97), manifest)
    assert summary["arms"]["multi_turn"]["problems"] == len(records.problems)
    written = {p.name for p in (storage / "bucket/data").iterdir()}
    assert {"report.json", "report.md", "pass_rates_multi_turn.png", "tensorboard"} <= written
    assert os.listdir(storage / "bucket/data/tensorboard")


def test_training_writes_and_resumes_checkpoints_and_metrics_there(storage):
    from rl.train import train
    from sandbox.executor import SandboxExecutor
    from tests.rl import train_doubles

    (storage / "bucket").mkdir()
    with SandboxExecutor(workers=2) as executor:
        train_doubles.write_abduction_dataset(str(storage / "bucket/problems.jsonl"), executor)
        config = train_doubles.train_config("testfs://bucket/run1", "testfs://bucket/problems.jsonl", steps=3)
        first = train(config, policy=train_doubles.tiny_digit_policy(), executor=executor, progress=False,
                      stop_after_steps=2)
        assert first.final_step == 2 and first.restored_from is None
        resumed = train(config, policy=train_doubles.tiny_digit_policy(), executor=executor, progress=False)
    assert resumed.restored_from == 2 and resumed.final_step == 3
    run = storage / "bucket/run1"
    assert sorted(p.name for p in (run / "checkpoints").iterdir() if p.name.isdigit()) == ["1", "2", "3"]
    with open(run / "train/metrics.csv", newline="") as handle:
        assert [int(row["step"]) for row in csv.DictReader(handle)] == [0, 1, 2]   # once each
    assert (run / "train/config.json").exists() and (run / "train/rollouts.jsonl").read_text()
    assert os.listdir(run / "train/tensorboard")
