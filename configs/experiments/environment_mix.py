"""Four environments versus induction only, at the same number of distinct problems.

    python -m rl.train --config=configs/experiments/environment_mix.py:gpu,four_environments
    python -m rl.train --config=configs/experiments/environment_mix.py:gpu,induction_only

Finding tested: 5K problems of each of induction, deduction, abduction and fuzzing beat
20K induction problems out of domain (math: MATH500 / AIME) and at pass@10 (evaluate with
`eval.num_samples >= 10`). Counts scaled by common.BUDGET_SCALE; every problem equally
likely; same steps for both arms.
"""
from __future__ import annotations

from configs.experiments import common

ARMS = ("four_environments", "induction_only")
ENVIRONMENTS = ("induction", "deduction", "abduction", "fuzzing")
PAPER_PER_ENVIRONMENT, PAPER_INDUCTION_ONLY = 5_000, 20_000


def get_config(argument: str = ""):
    size, arm = common.parse_argument(argument, ARMS, "environment_mix")
    config = common.base_config(size, "environment_mix", arm)
    if arm == "four_environments":
        each = common.scaled_budget(PAPER_PER_ENVIRONMENT, size)
        common.set_pool_mix(config, "environment", {name: each for name in ENVIRONMENTS})
    else:
        common.set_pool_mix(config, "environment", {"induction": common.scaled_budget(PAPER_INDUCTION_ONLY, size)})
    return config
