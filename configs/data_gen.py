"""Synthetic data generation alone (both arms: multi-turn and the single-turn baseline):

    python -m data_gen.main --config=configs/data_gen.py [--config.data_gen.num_seeds=32 ...]
    python -m data_gen.main --config=configs/data_gen.py:gpu      # 1.5B teacher pack on one GPU

The default runs on this 2-core CPU with the offline Qwen2.5-Coder-0.5B-Instruct pack as
teacher and student, both in-process, the teacher held to each environment's skeleton
(`get_cpu_teacher_config`: prompts v2, T=0.7, short seed windows) in deduction and
abduction, 2 turns; `:gpu` makes the 1.5B pack the teacher. For induction on this CPU pass
`--config.teacher.model=qwen2.5-coder-1.5b-instruct`: held to the same skeleton it wrote 13 of
16 valid induction instances where the 0.5B pack wrote 3, at about 4 minutes of wall time per
valid instance (docs/RESULTS.md, "The 1.5B pack as teacher"). To use a
served teacher (JetStream, or vLLM/SGLang serving the paper's GPT-OSS-120B), set
`--config.teacher.backend=jetstream|openai --config.teacher.address=...`.
"""
from __future__ import annotations

import ml_collections

from configs.sections.data_gen import get_data_gen_config
from configs.sections.environments import get_environments_config
from configs.sections.sandbox import get_config as get_sandbox_config
from configs.sections.teacher import apply_cpu_teacher_settings, get_student_config, get_teacher_config


def get_config(size: str = "") -> ml_collections.ConfigDict:
    if size not in ("", "gpu", "smoke"):
        raise ValueError(f"unknown size {size!r} for configs/data_gen.py; use '', 'gpu' or 'smoke'")
    config = ml_collections.ConfigDict()
    config.output_dir = "runs/data_gen"
    config.data_gen = get_data_gen_config()
    config.teacher = get_teacher_config()
    config.student = get_student_config()
    config.sandbox = get_sandbox_config()
    config.environments = get_environments_config()
    if size == "":
        apply_cpu_teacher_settings(config)
        config.student.dtype = "bfloat16"
        config.student.max_new_tokens = 192       # as the default main job's rollouts
        config.data_gen.num_seeds = 32
        config.data_gen.turns = 2
        config.data_gen.student_attempts = 8      # M=8 to fit a CPU; the paper uses 32
        config.data_gen.environments = ("deduction", "abduction")
        config.data_gen.max_concurrent_families = 32
    if size == "gpu":
        config.teacher.model = "qwen2.5-coder-1.5b-instruct"
        config.data_gen.student_attempts = 32
    if size == "smoke":
        config.data_gen.num_seeds = 1
        config.data_gen.turns = 2
        config.data_gen.student_attempts = 8
        config.data_gen.environments = ("induction",)
        config.data_gen.chains = False
        config.teacher.max_new_tokens = 256
        config.student.max_new_tokens = 128
    return config
