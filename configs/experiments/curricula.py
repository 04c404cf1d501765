"""Curricula over the broad difficulty bins: classic, reverse, reverse medium-start, uniform.

    python -m rl.train --config=configs/experiments/curricula.py:gpu,reverse_medium_start
    (arms: reverse_medium_start, classic, reverse, uniform)

Finding tested: the reverse curriculum starting at medium difficulty beats uniform
sampling and the classic easy-to-hard curriculum. Schedules are the paper's phase tables
(classic 1/0/0 -> 0/0/1 over easy/medium/hard in five phases, reverse its mirror,
medium-start: medium only, then easy-medium), scaled to train.steps.
"""
from __future__ import annotations

from configs.experiments import common

ARMS = ("reverse_medium_start", "classic", "reverse", "uniform")


def get_config(argument: str = ""):
    size, arm = common.parse_argument(argument, ARMS, "curricula")
    config = common.base_config(size, "curricula", arm)
    config.curriculum.schedule = arm
    return config
