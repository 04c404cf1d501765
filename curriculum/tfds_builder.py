"""A TFDS builder for data_gen's problems, so `tfds.load(NAME, data_dir=<run dir>)` reads them.

Importing this module registers the builder. Its source is every problem shard under the
run directory (`<run dir>/<arm>/problems-*.jsonl`, data_gen's layout) or the files given
to `prepare`; a first `tfds.load` on a run directory builds the dataset there itself. Splits: 'train' and 'held_out' by family (real and synthetic apart, as in
curriculum.splits). Each example keeps the whole record as `problem_json` (so every
field survives) beside flat features for filtering in tf.data.
"""
from __future__ import annotations

import os
from typing import Optional, Sequence

import numpy as np
import tensorflow_datasets as tfds

from curriculum.catalog import Catalog
from curriculum.shard_files import read_shard_texts, resolve_shards
from curriculum.splits import split_ids_by_family
from configs import run_paths

DATASET_NAME = "synth_code_problems"
HELD_OUT_FRACTION = 0.1
SPLIT_SEED = 0


class SynthCodeProblems(tfds.core.GeneratorBasedBuilder):
    """data_gen's problems (synthetic and real) with difficulty, environment and provenance."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Problem records of schema version 1."}

    def __init__(self, *, source_files: Sequence[str] = (), **kwargs):
        self._source_files = tuple(source_files)
        super().__init__(**kwargs)

    def _info(self) -> tfds.core.DatasetInfo:
        text = tfds.features.Text()
        return tfds.core.DatasetInfo(
            builder=self,
            description="Coding problems written by a teacher LLM (and real contest problems), "
                        "with student pass rates.",
            features=tfds.features.FeaturesDict({
                "problem_json": text, "id": text, "environment": text, "provenance": text,
                "statement": text, "family_id": text, "parent_id": text, "relation": text,
                "turn": np.int32, "num_visible": np.int32,
                "pass_rate": np.float32,          # -1 where the student did not attempt it
                "student_attempts": np.int32, "student_passes": np.int32,
                "inputs": tfds.features.Sequence(text), "outputs": tfds.features.Sequence(text),
                "code": text,
            }),
        )

    def _sources(self) -> tuple[str, ...]:
        if self._source_files:
            return resolve_shards(self._source_files)
        run_dir = str(self.data_dir_root)
        found = run_paths.glob(os.path.join(run_dir, "*", "problems-*.jsonl"))
        if not found:
            raise ValueError(f"no problem shards under {run_dir}/<arm>/problems-*.jsonl; run data_gen first or "
                             "call curriculum.tfds_builder.prepare(run_dir, source_files=...)")
        return tuple(found)

    def _split_generators(self, dl_manager):
        catalog = Catalog.from_texts(read_shard_texts(self._sources()))
        ids = split_ids_by_family(catalog, HELD_OUT_FRACTION, SPLIT_SEED)
        return {name: self._generate_examples(catalog, set(split_ids)) for name, split_ids in ids.items()}

    def _generate_examples(self, catalog: Catalog, keep: set):
        for problem in catalog.problems:
            if problem.id in keep:
                yield problem.id, _example(problem)


def _example(problem) -> dict:
    student = problem.student
    return {
        "problem_json": problem.to_json(), "id": problem.id, "environment": problem.environment,
        "provenance": problem.provenance, "statement": problem.statement,
        "family_id": problem.family_id or "", "parent_id": problem.parent_id or "",
        "relation": problem.relation, "turn": problem.turn, "num_visible": problem.num_visible,
        "pass_rate": -1.0 if problem.pass_rate is None else problem.pass_rate,
        "student_attempts": student.attempts if student else 0, "student_passes": student.passes if student else 0,
        "inputs": list(problem.inputs), "outputs": list(problem.outputs), "code": problem.code or "",
    }


def prepare(run_dir: str, source_files: Optional[Sequence[str]] = None) -> SynthCodeProblems:
    """Write the TFDS dataset under `run_dir` (from its data_gen shards, or `source_files`)."""
    builder = SynthCodeProblems(data_dir=run_dir, source_files=source_files or ())
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig(try_download_gcs=False))
    return builder
