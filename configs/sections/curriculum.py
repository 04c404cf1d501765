"""The `curriculum` config section: which problems the GRPO trainer sees at which step.

Fields and the paper's symbols (difficulty = student pass rate over M=32 attempts):
- `schedule`: a name in curriculum.schedules.SCHEDULES: 'uniform'; single levels
  'easy_only', 'easy_medium_only', 'medium_only', 'hard_only' (broad bins); the paper's
  phase tables 'soft', 'hard' (chain bins 0.81-0.91 / 0.41-0.59 / 0.05-0.16), 'classic',
  'reverse' (broad easy 0.85-0.97 / medium 0.26-0.61 / hard 0.10-0.26) and
  'reverse_medium_start' (broad medium, then easy-medium 0.61-0.85); 'chain_walk'
  (stepping stones per chain, advancing when the online pass rate on the current level
  reaches `walk_threshold` after `walk_min_trials` rollouts); 'learnability' (weight
  max(p(1-p), `learnability_floor`) of the online estimate p); 'phase_table' (custom
  `phases` over `pool_kind` pools: bins, provenance real/synthetic, or environment).
- `total_steps`: the run length in trainer steps (the paper: 40K); preset phase
  boundaries scale with it. `prompts_per_step`: problems per rollout batch over all hosts
  (the trainer samples G answers for each).
- `only_chain_problems`: keep only problems that are a level of some chain (the
  stepping-stone experiments train on chain data; with 'soft' / 'hard' / 'uniform').
- `band_family`: overrides a preset's bins ('broad', 'chain', 'loop_target', 'custom' with
  `custom_bin_edges` / `custom_bin_names`); empty keeps the preset's own.
- `budget` / `budget_shares`: a fixed total of distinct problems split over the pools
  (e.g. the paper's 25K real + 20K synthetic: budget=45000,
  budget_shares='real=25,synthetic=20'); 0 uses every problem.
- `split`, `held_out_fraction`, `split_seed`: train / held-out by family, real and
  synthetic apart.
- `estimator` ('beta' posterior with `prior_strength` pseudo-trials at the student pass
  rate, or 'ema' with `ema_rate`): the online pass-rate estimate fed by observe().
- `prefetch_batches` + `trainer_asynchrony` + 1 = the feedback lag: observe(step=k)
  changes sampling from step k + lag on (saved in the iterator state).
- `backend`: 'tf' (tf.data) or 'python' (no TensorFlow; same batches).

Launch check of a schedule: `python -m curriculum.plot --schedule=soft --total_steps=40000 --out=soft.png`.
"""
from __future__ import annotations

import ml_collections

from configs.validation import at_least, one_of, require, unit_interval


def get_curriculum_config(smoke: bool = False) -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.schedule = "uniform"
    config.total_steps = 40 if smoke else 40_000          # paper: 40K steps
    config.prompts_per_step = 4 if smoke else 256
    config.seed = 0
    config.data_files = ()                                 # data_gen problem shards (JSONL / TFRecord globs)
    config.chain_files = ()                                # data_gen chain shards, for 'chain_walk'
    config.only_chain_problems = False                     # stepping stones: sample chain levels only
    config.split = "train"
    config.held_out_fraction = 0.1
    config.split_seed = 0
    config.pass_rate_range = ()                            # e.g. (0.01, 0.97): only problems the student neither
                                                           # always fails nor always solves; () keeps all
    config.band_family = ""
    config.custom_bin_edges = ()
    config.custom_bin_names = ()
    config.pool_kind = "provenance"                        # for 'phase_table'
    config.pool_names = ("real", "synthetic")
    config.phases = ""                                     # 'END:pool=w,...;1.0:pool=w,...'
    config.budget = 0
    config.budget_shares = ""
    config.estimator = "beta"
    config.prior_strength = 2.0
    config.ema_rate = 0.3
    config.learnability_floor = 0.01
    config.walk_threshold = 0.7
    config.walk_min_trials = 16
    config.prefetch_batches = 2
    config.trainer_asynchrony = 1                          # = grpo.max_staleness
    config.max_prompt_tokens = 512 if smoke else 2048
    config.bucket_boundaries = (128, 256, 512, 1024)
    config.backend = "tf"
    return config


def validate(section: ml_collections.ConfigDict, name: str = "curriculum") -> None:
    at_least(f"{name}.total_steps", section.total_steps, 1)
    at_least(f"{name}.prompts_per_step", section.prompts_per_step, 1)
    one_of(f"{name}.split", section.split, ("train", "held_out", "all"))
    require(0.0 <= section.held_out_fraction < 1.0, f"{name}.held_out_fraction", section.held_out_fraction,
            "out of range, it must be in [0, 1)")
    rates = tuple(section.pass_rate_range)
    require(not rates or (len(rates) == 2 and 0.0 <= rates[0] <= rates[1] <= 1.0), f"{name}.pass_rate_range",
            rates, "give () or (low, high) with 0 <= low <= high <= 1")
    at_least(f"{name}.budget", section.budget, 0)
    one_of(f"{name}.estimator", section.estimator, ("beta", "ema"))
    require(section.prior_strength > 0, f"{name}.prior_strength", section.prior_strength, "out of range, it must be > 0")
    require(0.0 < section.ema_rate <= 1.0, f"{name}.ema_rate", section.ema_rate, "out of range, it must be in (0, 1]")
    unit_interval(f"{name}.learnability_floor", section.learnability_floor)
    unit_interval(f"{name}.walk_threshold", section.walk_threshold)
    at_least(f"{name}.walk_min_trials", section.walk_min_trials, 1)
    at_least(f"{name}.prefetch_batches", section.prefetch_batches, 0)
    at_least(f"{name}.trainer_asynchrony", section.trainer_asynchrony, 0)
    at_least(f"{name}.max_prompt_tokens", section.max_prompt_tokens, 1)
    require(all(b >= 1 for b in section.bucket_boundaries), f"{name}.bucket_boundaries",
            tuple(section.bucket_boundaries), "every boundary must be >= 1")
    one_of(f"{name}.backend", section.backend, ("tf", "python"))
