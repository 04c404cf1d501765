"""A trainer stand-in for the exact-resume test, run as a fresh process per phase.

Usage: python -m tests.curriculum.resume_run DATA_DIR MODE OUT [STATE]
MODE 'straight' takes STEPS batches; 'save' takes SAVE_AT and writes its iterator state
to STATE; 'resume' restores STATE and takes the rest. `run` is also called in-process. Rewards are a fixed function of
(problem id, step) and arrive one step late (trainer asynchrony 1), as in an async trainer.
"""
from __future__ import annotations

import hashlib
import json
import sys

import numpy as np

from curriculum.input_pipeline import build_iterator
from curriculum.settings import CurriculumSettings
from tests.curriculum.doubles import ByteTokenizerDouble, render_chat_double

STEPS, SAVE_AT, GROUP_SIZE = 14, 7, 4
SCHEDULES = ("learnability", "classic")


def rewards_for(problem_ids, step):
    return np.array([[int(hashlib.sha256(f"{pid}/{step}/{g}".encode()).digest()[0] < 90)
                      for g in range(GROUP_SIZE)] for pid in problem_ids], dtype=np.float32)


def settings(data_dir: str, schedule: str, backend: str) -> CurriculumSettings:
    return CurriculumSettings(schedule=schedule, total_steps=STEPS, prompts_per_step=6, seed=11,
                              data_files=(f"{data_dir}/problems-*",), split="all", backend=backend,
                              prefetch_batches=2, trainer_asynchrony=1)


def run(data_dir, mode, state=None, backend="tf"):
    """Returns per schedule the [step, ids, token hash] of each batch taken, and (save mode) the state."""
    results, states = {}, {}
    for schedule in SCHEDULES:
        saved = (state or {}).get(schedule)
        iterator = build_iterator(settings(data_dir, schedule, backend), ByteTokenizerDouble(), render_chat_double,
                                  state=saved["iterator"] if saved else None)
        previous = saved["last_batch"] if saved else None
        start = SAVE_AT if mode == "resume" else 0
        stop = SAVE_AT if mode == "save" else STEPS
        taken = []
        for _ in range(start, stop):
            batch = next(iterator)
            if previous is not None:
                iterator.observe(previous[1], rewards_for(previous[1], previous[0]), previous[0])
            previous = [batch.step, list(batch.problem_ids)]
            taken.append([batch.step, list(batch.problem_ids),
                          hashlib.sha256(batch.token_ids.tobytes() + batch.attention_mask.tobytes()).hexdigest()])
        results[schedule] = taken
        states[schedule] = {"iterator": iterator.state_dict(), "last_batch": previous}
    return results, states


def main(argv):
    data_dir, mode, out = argv[:3]
    state = json.load(open(argv[3])) if mode == "resume" else None
    results, states = run(data_dir, mode, state)
    json.dump(results, open(out, "w"))
    if mode == "save":
        json.dump(states, open(argv[3], "w"))


if __name__ == "__main__":
    main(sys.argv[1:])
