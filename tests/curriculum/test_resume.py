"""Exact resume: N batches, save, restore in a fresh process; the next M batches match an uninterrupted run."""
import json
import os
import subprocess
import sys

import pytest

from tests.curriculum import resume_run
from tests.curriculum.doubles import spread_problems, write_shards

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_fresh_process(*args):
    subprocess.run([sys.executable, "-m", "tests.curriculum.resume_run", *map(str, args)], cwd=REPO,
                   check=True, timeout=900, capture_output=True)


@pytest.mark.slow
def test_tf_path_resumes_in_a_fresh_process_on_exactly_the_next_batch(work_dir):
    write_shards(work_dir, spread_problems(120))
    straight, _ = resume_run.run(work_dir, "straight", backend="tf")
    first, states = resume_run.run(work_dir, "save", backend="tf")
    state = os.path.join(work_dir, "state.json")
    with open(state, "w") as handle:
        json.dump(states, handle)
    run_fresh_process(work_dir, "resume", os.path.join(work_dir, "second.json"), state)
    second = json.load(open(os.path.join(work_dir, "second.json")))
    for schedule in resume_run.SCHEDULES:
        assert len(straight[schedule]) == resume_run.STEPS
        assert len(first[schedule]) == resume_run.SAVE_AT   # saved mid-window: the TF path had prefetched more
        assert first[schedule] + second[schedule] == straight[schedule], schedule


def test_python_path_resumes_from_a_saved_state(work_dir):
    write_shards(work_dir, spread_problems(120))
    straight, _ = resume_run.run(work_dir, "straight", backend="python")
    first, states = resume_run.run(work_dir, "save", backend="python")
    states = json.loads(json.dumps(states))   # the state survives JSON
    second, _ = resume_run.run(work_dir, "resume", states, backend="python")
    for schedule in resume_run.SCHEDULES:
        assert first[schedule] + second[schedule] == straight[schedule]


def test_a_state_from_other_data_is_refused_with_the_reason(work_dir):
    write_shards(work_dir, spread_problems(120))
    _, states = resume_run.run(work_dir, "save", backend="python")
    other = os.path.join(work_dir, "other")
    os.makedirs(other)
    write_shards(other, spread_problems(90))
    with pytest.raises(ValueError, match="same data, schedule, seed and host count are needed"):
        resume_run.run(other, "resume", states, backend="python")
