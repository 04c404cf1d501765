"""The `data_gen` section: seeds, the multi-turn loop, chains and the single-turn baseline.

Paper symbols: N turns per seed and environment (`turns`, default 6); M student attempts
per valid instance (`student_attempts`, the paper's 32; 8 was too noisy and is the floor
accepted here); a pass rate p > `harder_above` (0.65) asks for a harder variant, p = 0 or
p < `target_band[0]` (0.35) for an easier one; p inside the target band asks for no
change, then `in_band` decides: "harder" while turns remain, or "stop". Usable problems
have p in [`usable_band[0]`, `usable_band[1]`] = [0.01, 0.97]. Stepping-stone chains go
top-down from a usable problem in the hard chain bin to medium then easy; each level
must land in its chain bin (docs/design.md, "Difficulty bands and transitions": hard
0.05-0.16, medium 0.41-0.59, easy 0.81-0.91; lower bound inclusive, upper exclusive).
"""
from __future__ import annotations

import ml_collections

from configs.validation import at_least, band, one_of, require

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


def validate(section: ml_collections.ConfigDict, name: str = "data_gen") -> None:
    known = ("induction", "deduction", "abduction", "fuzzing")
    require(len(section.environments) > 0 and all(e in known for e in section.environments),
            f"{name}.environments", tuple(section.environments), f"a non-empty subset of {', '.join(known)}")
    one_of(f"{name}.seed_source", section.seed_source, SEED_SOURCES)
    if section.seed_source != "stdlib":
        require(bool(section.seed_path), f"{name}.seed_path", section.seed_path,
                f"seed_source {section.seed_source!r} reads its seeds from a path: set it")
    at_least(f"{name}.num_seeds", section.num_seeds, 1)
    at_least(f"{name}.seed_min_lines", section.seed_min_lines, 1)
    require(section.seed_max_lines >= section.seed_min_lines, f"{name}.seed_max_lines", section.seed_max_lines,
            f"out of range, it must be >= {name}.seed_min_lines ({section.seed_min_lines})")
    at_least(f"{name}.turns", section.turns, 1)
    at_least(f"{name}.student_attempts", section.student_attempts, 8)
    require(0.0 <= section.harder_above <= 1.0, f"{name}.harder_above", section.harder_above,
            "out of range, it must be between 0 and 1")
    for field in ("target_band", "usable_band", "chain_hard_bin", "chain_medium_bin", "chain_easy_bin"):
        band(f"{name}.{field}", section[field])
    one_of(f"{name}.in_band", section.in_band, ("harder", "stop"))
    at_least(f"{name}.summary_token_budget", section.summary_token_budget, 1)
    at_least(f"{name}.chain_tries_per_level", section.chain_tries_per_level, 1)
    at_least(f"{name}.single_turn_max_calls", section.single_turn_max_calls, 1)
    at_least(f"{name}.contamination_ngram", section.contamination_ngram, 1)
    require(0.0 <= section.contamination_threshold <= 1.0, f"{name}.contamination_threshold",
            section.contamination_threshold, "out of range, it must be between 0 and 1")
    at_least(f"{name}.max_concurrent_families", section.max_concurrent_families, 1)
    at_least(f"{name}.host_count", section.host_count, 1)
    require(0 <= section.host_index < section.host_count, f"{name}.host_index", section.host_index,
            f"out of range, it must be in [0, {name}.host_count)")
