"""Stepping-stone chains under the soft, hard and uniform schedules.

    python -m rl.train --config=configs/experiments/stepping_stones.py:gpu,soft
    (arms: soft, hard, uniform)

Trains only on problems that are a level of a chain (hard 0.05-0.16, medium 0.41-0.59,
easy 0.81-0.91 over the chain bins; `curriculum.only_chain_problems`). Finding tested:
whether moving the weight from the easy to the hard chain level over training (soft:
80/15/5 -> 5/15/80 in four phases; hard: 90/5/5 -> 5/5/90 in three) beats sampling the
same chain problems uniformly; the paper's phase tables, scaled to train.steps.
"""
from __future__ import annotations

from configs.experiments import common

ARMS = ("soft", "hard", "uniform")


def get_config(argument: str = ""):
    size, arm = common.parse_argument(argument, ARMS, "stepping_stones")
    config = common.base_config(size, "stepping_stones", arm)
    config.curriculum.schedule = arm
    config.curriculum.only_chain_problems = True
    return config
