"""Synthetic data only: GRPO on the teacher's problems alone, no real problems.

    python -m rl.train --config=configs/experiments/synthetic_only.py:gpu

Finding tested: training on synthetic problems alone overfits to easy problems (compare
its reward_by_bin curves and held-out easy/medium/hard pass rates with augmentation.py's
arms). Uses the same 20K synthetic problems (scaled) as augmentation.py's
real_plus_synthetic arm, each equally likely.
"""
from __future__ import annotations

from configs.experiments import common

ARMS = ("synthetic",)
PAPER_SYNTHETIC = 20_000


def get_config(argument: str = ""):
    size, arm = common.parse_argument(argument, ARMS, "synthetic_only")
    config = common.base_config(size, "synthetic_only", arm)
    common.set_pool_mix(config, "provenance", {"synthetic": common.scaled_budget(PAPER_SYNTHETIC, size)})
    return config
