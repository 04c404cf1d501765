import os

import tensorflow_datasets as tfds

from curriculum import tfds_builder
from data_gen.records import Problem, TeacherMeta
from tests.curriculum.doubles import make_problem, write_jsonl


def run_dir_with_shards(work_dir):
    """A data_gen-shaped run directory: <run>/<arm>/problems-h000.jsonl."""
    problems = [make_problem(i, (i % 9) / 8) for i in range(30)] + \
               [make_problem(100 + i, None, provenance="real") for i in range(6)]
    problems[0] = Problem(**{**problems[0].__dict__, "code": "def f(x):\n    return x + 1",
                             "teacher": TeacherMeta("teacher", "v1", 10, 20), "extra": {"witness": "(1, 2)"},
                             "inputs": ("1", "'a'"), "outputs": ("2", "'b'"), "num_visible": 1})
    os.makedirs(os.path.join(work_dir, "multi_turn"))
    write_jsonl(os.path.join(work_dir, "multi_turn", "problems-h000.jsonl"), problems)
    return problems


def test_tfds_load_reads_the_generated_dataset_with_every_field_intact(work_dir):
    problems = run_dir_with_shards(work_dir)
    tfds_builder.prepare(work_dir)
    splits = tfds.load(tfds_builder.DATASET_NAME, data_dir=work_dir)
    read = {}
    for split in ("train", "held_out"):
        for example in tfds.as_numpy(splits[split]):
            problem = Problem.from_json(example["problem_json"].decode())
            read[problem.id] = problem
            assert example["id"].decode() == problem.id
            assert example["environment"].decode() == problem.environment
            expected_rate = -1.0 if problem.pass_rate is None else problem.pass_rate
            assert abs(float(example["pass_rate"]) - expected_rate) < 1e-6
            assert [x.decode() for x in example["inputs"]] == list(problem.inputs)
    assert read == {p.id: p for p in problems}
    assert len(list(splits["held_out"])) > 0
