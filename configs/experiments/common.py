"""What every experiment config shares: the two sizes, the "SIZE,ARM" argument and the
budget scale.

Sizes: "gpu" (the default; configs/gpu.py: 0.5B policy on one GPU) and "smoke" (a few CPU
steps on configs/train.py's smoke sections, for tests; budgets small enough for a tiny
dataset). The argument after the config path's colon names a size, an arm, or both:

    python -m rl.train --config=configs/experiments/curricula.py:gpu,reverse
    python -m rl.train --config=configs/experiments/curricula.py:smoke,classic

Budgets are distinct problems (curriculum.budget). The paper's counts (25K real, 20K
synthetic, 5K per environment) are scaled by `BUDGET_SCALE[size]`: 1/10 on one GPU (its
1000 steps of 32 prompts draw each of 4.5K problems about 7 times; the draft does not
state the paper's batch size, so its epochs cannot be matched), a few problems for smoke.
"""
from __future__ import annotations

from typing import Sequence

import ml_collections

from configs import gpu as gpu_config
from configs import train as train_config

SIZES = ("gpu", "smoke")
BUDGET_SCALE = {"gpu": 0.1, "smoke": 0.0002}
SMOKE_STEPS = 2


def parse_argument(argument: str, arms: Sequence[str], config_name: str) -> tuple[str, str]:
    """'SIZE', 'ARM', 'SIZE,ARM' or '' -> (size, arm); the defaults are 'gpu' and arms[0]."""
    size, arm = "gpu", arms[0]
    for part in (p.strip() for p in argument.split(",") if p.strip()):
        if part in SIZES:
            size = part
        elif part in arms:
            arm = part
        else:
            raise ValueError(f"configs/experiments/{config_name}.py: unknown size or arm {part!r}; "
                             f"sizes: {', '.join(SIZES)}; arms: {', '.join(arms)} "
                             f"(e.g. --config=configs/experiments/{config_name}.py:gpu,{arms[-1]})")
    return size, arm


def scaled_budget(paper_count: int, size: str) -> int:
    """A paper problem count at this size (at least 1)."""
    return max(1, round(paper_count * BUDGET_SCALE[size]))


def base_config(size: str, experiment: str, arm: str) -> ml_collections.ConfigDict:
    """The unvaried config of an experiment at `size`; output_dir runs/<experiment>/<arm>."""
    if size == "smoke":
        config = train_config.get_config("smoke")
        config.train.steps = SMOKE_STEPS
        config.train.max_new_tokens = 8
        config.curriculum.max_prompt_tokens = 64             # one prompt shape: one compilation
        config.curriculum.bucket_boundaries = (64,)
        config.curriculum.backend = "python"          # same batches as tf.data, no TensorFlow start-up
        config.curriculum.data_files = (f"{gpu_config.DATA_DIR}/multi_turn/problems-h*.jsonl",)
        config.curriculum.chain_files = (f"{gpu_config.DATA_DIR}/multi_turn/chains-h*.jsonl",)
        config.checkpoint.async_save = False
    else:
        config = gpu_config.get_config()
    config.output_dir = f"runs/{experiment}/{arm}" + ("-smoke" if size == "smoke" else "")
    config.experiment = ml_collections.ConfigDict(dict(name=experiment, arm=arm, size=size))
    return config


def set_pool_mix(config: ml_collections.ConfigDict, pool_kind: str, counts: dict[str, int]) -> None:
    """Sample from pools of `pool_kind` holding exactly `counts` distinct problems each,
    every problem equally likely (pool weights proportional to the counts)."""
    names = tuple(counts)
    mix = ",".join(f"{name}={count}" for name, count in counts.items())
    config.curriculum.schedule = "phase_table"
    config.curriculum.pool_kind = pool_kind
    config.curriculum.pool_names = names
    config.curriculum.phases = f"1.0:{mix}"
    config.curriculum.budget = sum(counts.values())
    config.curriculum.budget_shares = mix
