"""Real versus real + synthetic data at a fixed step budget (the paper's augmentation study).

    python -m rl.train --config=configs/experiments/augmentation.py:gpu,real_plus_synthetic
    python -m rl.train --config=configs/experiments/augmentation.py:gpu,real_subset
    python -m rl.train --config=configs/experiments/augmentation.py:gpu,real_all

Finding tested: real data plateaus (25K real problems train about as well as 81K), and
25K real + 20K synthetic beats all 81K real on most evaluation splits. Every arm runs the
same number of steps; only the problem set differs:
- `real_plus_synthetic`: 25K real + 20K synthetic distinct problems, each equally likely;
- `real_subset`: 25K real problems;
- `real_all`: every real problem in the data files (the paper's 81K).
Counts are scaled by configs/experiments/common.py's BUDGET_SCALE. Real problems are
contest problems as Problem records with provenance "real" (gpu.REAL_DATA_FILES): write
`data_gen.environments.contest_loader.load_contest_problems(path, end_date=...).problems`
one `to_json()` per line, from training problems dated before the evaluation window.
"""
from __future__ import annotations

from configs import gpu as gpu_config
from configs.experiments import common

ARMS = ("real_plus_synthetic", "real_subset", "real_all")
PAPER_REAL, PAPER_SYNTHETIC = 25_000, 20_000


def get_config(argument: str = ""):
    size, arm = common.parse_argument(argument, ARMS, "augmentation")
    config = common.base_config(size, "augmentation", arm)
    config.curriculum.data_files = tuple(config.curriculum.data_files) + gpu_config.REAL_DATA_FILES
    real, synthetic = common.scaled_budget(PAPER_REAL, size), common.scaled_budget(PAPER_SYNTHETIC, size)
    if arm == "real_plus_synthetic":
        common.set_pool_mix(config, "provenance", {"real": real, "synthetic": synthetic})
    elif arm == "real_subset":
        common.set_pool_mix(config, "provenance", {"real": real})
    else:
        common.set_pool_mix(config, "provenance", {"real": 1})
        config.curriculum.budget = 0            # no cap: every real problem
        config.curriculum.budget_shares = ""
    return config
