"""Data generation's one entry (`data_gen.main.generate_dataset`): what it gives the
pipeline, what it writes, and that the main job (`rl.main`) goes through it with the
rollouts' sampling as the student's."""
import json
import os

import pytest

import data_gen.main
import rl.main
from configs.default import get_config
from rl.generation.sampling import Sampling
from rl.rollout import rollout_sampling


class RecordingPipeline:
    """Stands in for DataGenPipeline: keeps its arguments and returns a manifest."""

    made: list = []

    def __init__(self, section, **kwargs):
        self.kwargs = kwargs
        RecordingPipeline.made.append(self)

    def run(self, seeds):
        self.seeds = list(seeds)
        return {"complete": True, "seeds": len(self.seeds), "teacher_model": self.kwargs["teacher_model"]}


@pytest.fixture
def config(tmp_path, monkeypatch):
    RecordingPipeline.made = []
    monkeypatch.setattr(data_gen.main, "DataGenPipeline", RecordingPipeline)
    config = get_config()
    config.output_dir = str(tmp_path / "run")
    config.data_gen.num_seeds = 2
    config.data_gen.contamination_humaneval = False
    config.data_gen.contamination_livecodebench_files = ()
    config.main.dataset_dir = ""
    return config


def test_generate_dataset_runs_the_pipeline_and_writes_report_card_and_manifest(config, tmp_path):
    teacher, student, executor = object(), object(), object()
    output_dir = str(tmp_path / "data")
    data_gen.main.generate_dataset(config, output_dir, teacher=teacher, student=student, executor=executor,
                                   progress=False)
    (pipeline,) = RecordingPipeline.made
    assert (pipeline.kwargs["teacher"], pipeline.kwargs["student"], pipeline.kwargs["executor"]) == \
        (teacher, student, executor)
    assert pipeline.kwargs["teacher_sampling"] == Sampling.from_config(config.teacher)
    assert pipeline.kwargs["student_sampling"] == Sampling.from_config(config.student)
    assert pipeline.kwargs["contamination"] is None and len(pipeline.seeds) == 2
    manifest = json.load(open(os.path.join(output_dir, "manifest.json")))
    assert manifest["complete"] and manifest["student_model"] == str(config.student.model)
    for name in ("report.json", "report.md", "dataset_card.md"):
        assert os.path.exists(os.path.join(output_dir, name)), name


def test_the_main_job_generates_through_data_gens_entry_with_the_rollouts_sampling(config):
    teacher, student, executor = object(), object(), object()
    dataset_dir = rl.main._data_generation(config, teacher, student, executor, progress=False)
    assert dataset_dir == os.path.join(config.output_dir, "data")
    (pipeline,) = RecordingPipeline.made
    assert pipeline.kwargs["output_dir"] == dataset_dir
    assert (pipeline.kwargs["teacher"], pipeline.kwargs["student"], pipeline.kwargs["executor"]) == \
        (teacher, student, executor)
    assert pipeline.kwargs["student_sampling"] == rollout_sampling(config)
    # a complete dataset is not generated again
    assert rl.main._data_generation(config, teacher, student, executor, progress=False) == dataset_dir
    assert len(RecordingPipeline.made) == 1
