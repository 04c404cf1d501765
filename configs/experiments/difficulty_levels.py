"""Single difficulty levels: train on one broad pass-rate bin only.

    python -m rl.train --config=configs/experiments/difficulty_levels.py:gpu,medium
    (arms: easy 0.85-0.97, easy_medium 0.61-0.85, medium 0.26-0.61, hard 0.10-0.26)

Finding tested: medium-difficulty problems train best. Each arm is the curriculum
schedule `<arm>_only` over the broad training bins (docs/design.md, "Difficulty bands
and transitions"); every problem of the bin is equally likely; the data and step budget
are the same for all arms.
"""
from __future__ import annotations

from configs.experiments import common

ARMS = ("medium", "easy", "easy_medium", "hard")


def get_config(argument: str = ""):
    size, arm = common.parse_argument(argument, ARMS, "difficulty_levels")
    config = common.base_config(size, "difficulty_levels", arm)
    config.curriculum.schedule = f"{arm}_only"
    return config
