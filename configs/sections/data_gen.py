"""The `data_gen` section: seeds, the multi-turn loop, chains and the single-turn baseline.

Paper symbols: N turns per seed and environment (`turns`, default 6); M student attempts
per valid instance (`student_attempts`, the paper's 32; 8 was too noisy and is the floor
accepted here); a pass rate p > `harder_above` (0.65) asks for a harder variant, p = 0 or
p < `target_band[0]` (0.35) for an easier one; p inside the target band asks for no
change, then `in_band` decides: "harder" while turns remain, or "stop". Usable problems
have p in [`usable_band[0]`, `usable_band[1]`] = [0.01, 0.97]. Stepping-stone chains go
top-down from a usable problem in the hard chain bin to medium then easy; each level
must land in its chain bin (DESIGN.md "Difficulty bands": hard 0.05-0.16, medium
0.41-0.59, easy 0.81-0.91; lower bound inclusive, upper exclusive).
"""
from __future__ import annotations

import ml_collections

SEED_SOURCES = ("stdlib", "directory", "jsonl_code", "jsonl_solutions")


def get_data_gen_config() -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.environments = ("induction", "deduction", "abduction", "fuzzing")
    # Seeds.
    config.seed_source = "stdlib"       # one of SEED_SOURCES
    config.seed_path = ""               # directory or JSONL file for the non-stdlib sources
    config.seed_field = ""              # JSONL field ("" = "content" for code, "solution" for solutions)
    config.num_seeds = 32
    config.seed_rng = 0
    config.seed_min_lines = 25
    config.seed_max_lines = 50
    # The multi-turn loop.
    config.turns = 6                    # N
    config.student_attempts = 32        # M (>= 8)
    config.harder_above = 0.65
    config.target_band = (0.35, 0.65)
    config.in_band = "harder"           # "harder" or "stop"
    config.usable_band = (0.01, 0.97)   # inclusive at both ends
    config.summary_token_budget = 1024
    # Stepping-stone chains.
    config.chains = True
    config.chain_hard_bin = (0.05, 0.16)
    config.chain_medium_bin = (0.41, 0.59)
    config.chain_easy_bin = (0.81, 0.91)
    config.chain_tries_per_level = 2
    # The single-turn baseline: same seeds and environments, same teacher tokens.
    config.single_turn = True
    config.single_turn_max_calls = 24   # safety cap per family
    # Contamination against the evaluation sets.
    config.contamination_humaneval = True
    config.contamination_livecodebench_files = ()
    config.contamination_ngram = 10
    config.contamination_threshold = 0.5
    # Scale.
    config.max_concurrent_families = 4
    config.host_index = 0
    config.host_count = 1
    return config
