"""The paper-scale run every model config shares: GPT-OSS-120B teacher and student over an
OpenAI-compatible server, M = 32, 40K GRPO steps, LiveCodeBench / MATH500 / AIME evaluation.

Paper values: teacher GPT-OSS-120B at high reasoning effort, student the same model at low
effort (served apart from the RL run); M = 32 student attempts; 40K steps; no KL term;
advantages not divided by the group std; 3 seeds (`train.seed` 0, 1, 2). Not in the paper
draft, chosen here: 64 prompts x G = 8 = 512 rollouts per step, 2048 prompt + 2048 new
tokens, 8 gradient-accumulation micro-batches, learning rate 1e-6 (DAPO).
"""
from __future__ import annotations

import ml_collections

from configs.sections.model import get_model_config
from configs import train as train_config
from configs.paper import memory
from configs.sections.data_gen import get_data_gen_config
from configs.sections.eval import get_eval_config
from configs.sections.teacher import get_student_config, get_teacher_config

TEACHER_MODEL = "gpt-oss-120b"
ROLLOUTS_PER_STEP = 512
SEQUENCE_LENGTH = 4096
MICRO_BATCHES = 8


def step_shape() -> memory.StepShape:
    return memory.StepShape(ROLLOUTS_PER_STEP, SEQUENCE_LENGTH, MICRO_BATCHES)


def paper_config(checkpoint: str, output_dir: str, tpu: str, chips: int, data: int, fsdp: int,
                 tensor: int) -> ml_collections.ConfigDict:
    config = train_config.get_config()
    config.output_dir = output_dir
    config.model = get_model_config(checkpoint, dtype="bfloat16", remat=True)
    config.mesh.data, config.mesh.fsdp, config.mesh.tensor = data, fsdp, tensor
    config.tpu = ml_collections.ConfigDict(dict(accelerator=tpu, chips=chips))
    config.teacher = get_teacher_config()
    config.student = get_student_config()
    for section, effort in ((config.teacher, "high"), (config.student, "low")):
        section.backend = "openai"
        section.address = "http://teacher-server:8000"
        section.model = TEACHER_MODEL
        section.reasoning_effort = effort
    config.teacher.max_new_tokens = 16_384               # room for high-effort reasoning
    config.student.max_new_tokens = 8192
    config.data_gen = get_data_gen_config()
    config.data_gen.student_attempts = 32                # M (paper)
    config.data_gen.num_seeds = 20_000
    config.data_gen.max_concurrent_families = 256
    config.eval = get_eval_config()
    config.eval.benchmarks = ("livecodebench", "math500", "aime", "humaneval")
    config.eval.num_samples = 10                         # pass@1 and pass@10
    config.eval.temperature = 0.6

    config.train.steps = 40_000                          # paper
    config.train.max_new_tokens = SEQUENCE_LENGTH // 2
    config.grpo.group_size = 8                           # G
    config.grpo.prompts_per_batch = ROLLOUTS_PER_STEP // 8
    config.grpo.micro_batches = MICRO_BATCHES
    config.curriculum.max_prompt_tokens = SEQUENCE_LENGTH // 2
    config.curriculum.bucket_boundaries = (512, 1024, 2048)
    config.curriculum.data_files = (f"{output_dir}/data/multi_turn/problems-h*.jsonl",)
    config.curriculum.chain_files = (f"{output_dir}/data/multi_turn/chains-h*.jsonl",)
    config.checkpoint.save_every_steps = 500
    config.checkpoint.keep_last = 3
    return config
