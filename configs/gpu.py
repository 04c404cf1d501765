"""The one-GPU small-scale reproduction: a 0.5B policy trained with GRPO on data written by
a 1.5B teacher, both offline model packs.

    python -m rl.main --config=configs/gpu.py           # data, evaluation, training, report in runs/gpu
    # or stage by stage:
    python -m data_gen.main --config=configs/gpu.py --config.output_dir=runs/gpu/data
    python -m rl.train --config=configs/gpu.py          # reads runs/gpu/data/multi_turn/problems-h*.jsonl

Sections beyond configs/train.py's: `main` (configs/default.py's, for rl.main), `teacher`
(the Qwen2.5-Coder-1.5B-Instruct pack, in-process by default, or served by JetStream on
the same GPU), `student` (the same 1.5B model; the paper's student is the teacher at low
reasoning effort, and these models have no effort switch), `data_gen` (M = 32 student
attempts, as the paper) and `eval` (HumanEval, n = 1 greedy).

Sizes (one 80 GB GPU, chosen here, not from the paper): G = 8 answers for each of 32
prompts per step (256 rollouts), up to 1024 new tokens, 1000 steps; the paper's 40K-step
phase tables scale to `train.steps` (curriculum preset boundaries are fractions).
Departure from the paper: teacher 1.5B instead of GPT-OSS-120B, so the data are far
easier and noisier; the configs reproduce the method, not the paper's numbers.
"""
from __future__ import annotations

import ml_collections

from configs.sections.model import get_model_config
from configs import default as default_config
from configs import train as train_config
from configs.sections.data_gen import get_data_gen_config
from configs.sections.eval import get_eval_config
from configs.sections.teacher import get_student_config, get_teacher_config

POLICY_PACK = "qwen2.5-coder-0.5b-instruct"
TEACHER_PACK = "qwen2.5-coder-1.5b-instruct"
DATA_DIR = "runs/gpu/data"
REAL_DATA_FILES = (f"{DATA_DIR}/real/problems-*.jsonl",)   # contest problems as Problem records (provenance "real")


def get_config(size: str = "") -> ml_collections.ConfigDict:
    if size not in ("", "gpu"):
        raise ValueError(f"unknown size {size!r} for configs/gpu.py; use '' (one GPU)")
    config = train_config.get_config()
    config.output_dir = "runs/gpu"
    config.model = get_model_config(POLICY_PACK, dtype="bfloat16", remat=True)
    config.main = default_config.main_section()
    config.teacher = get_teacher_config()
    config.teacher.model = TEACHER_PACK
    config.student = get_student_config()
    config.student.model = TEACHER_PACK
    config.data_gen = get_data_gen_config()
    config.data_gen.num_seeds = 512
    config.data_gen.student_attempts = 32            # M (paper)
    config.eval = get_eval_config()

    config.train.steps = 1000
    config.train.max_new_tokens = 1024
    config.grpo.group_size = 8                       # G
    config.grpo.prompts_per_batch = 32
    # 256 rollouts x 1536 tokens in one pass: XLA's temporaries are 196 GiB (attention scores
    # are materialised per layer); 8 micro-batches of 32: 29 GiB (rl.train_step_bench --steps 0
    # --batch 256 --micro-batches M --prompt-tokens 1024 --completion-tokens 512).
    config.grpo.micro_batches = 8
    config.curriculum.max_prompt_tokens = 1024
    config.curriculum.bucket_boundaries = (256, 512, 1024)
    config.curriculum.data_files = (f"{DATA_DIR}/multi_turn/problems-h*.jsonl",)
    config.curriculum.chain_files = (f"{DATA_DIR}/multi_turn/chains-h*.jsonl",)
    config.checkpoint.save_every_steps = 100
    return config
