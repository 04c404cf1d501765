"""Evaluate one policy checkpoint on the configured benchmarks.

    python -m rl.evaluate --config=configs/eval.py --config.checkpoint=PATH
    python -m rl.evaluate --config=configs/eval.py:smoke      # 5 HumanEval problems, short answers

`checkpoint` is a model pack name (`qwen2.5-coder-0.5b-instruct`), a Hugging Face
safetensors directory, a trainer's exported policy directory or a .gguf file; `policy`
says how it is sampled (a text-generation backend section as in configs/sections/
teacher.py; `policy.model` follows `checkpoint`; in-process by default, or a served
model over JetStream/OpenAI-compatible HTTP with `policy.backend` and `policy.address`;
the section's temperature and token fields are not used: `eval` sets them). Results go to
`output_dir` (eval_results.json, eval_results.md, eval_samples.jsonl and the resolved
config). Benchmarks and the sampling/scoring protocol are the `eval` section
(configs/sections/eval.py); e.g. the paper's LiveCodeBench pass@1/pass@10:

    --config.eval.benchmarks='("livecodebench",)' --config.eval.livecodebench.path=test6.jsonl
    --config.eval.num_samples=10 --config.eval.temperature=0.6

Aggregate several training seeds' results with `python -m rl.evaluation.aggregate_seeds`.
"""
from __future__ import annotations

import ml_collections

from configs.sections.environments import get_environments_config
from configs.sections.eval import get_eval_config
from configs.sections.sandbox import get_config as get_sandbox_config
from configs.sections.teacher import get_student_config


def get_config(size: str = "") -> ml_collections.ConfigDict:
    if size not in ("", "smoke"):
        raise ValueError(f"unknown size {size!r} for configs/eval.py; use '' or 'smoke'")
    config = ml_collections.ConfigDict()
    config.checkpoint = "qwen2.5-coder-0.5b-instruct"
    config.output_dir = "runs/eval"
    config.policy = get_student_config()
    config.policy.model = config.get_ref("checkpoint")
    config.eval = get_eval_config()
    config.environments = get_environments_config()   # graders of contest and synthetic problems
    config.sandbox = get_sandbox_config()              # runs HumanEval, contest and synthetic answers
    if size == "smoke":
        config.output_dir = "runs/eval_smoke"
        config.eval.humaneval.limit = 5
        config.eval.max_new_tokens = 192
    return config
