"""GRPO training from an existing dataset (a data_gen output dir):

    python -m rl.train --config=configs/train.py \
        --config.curriculum.data_files=runs/data/multi_turn/problems-h000.jsonl \
        --config.output_dir=runs/train

`get_config("smoke")` shrinks batch, lengths and steps to a few CPU steps.
Shared values are written once and referenced: grpo.prompts_per_batch is the curriculum's
prompts_per_step, grpo.max_staleness its trainer_asynchrony, train.steps its total_steps, and
the learning-rate schedule's horizon (grpo.optimizer.total_steps, in optimiser updates) is
train.steps x grpo.updates_per_batch unless a config sets it on purpose.
"""
from __future__ import annotations

import ml_collections

from configs.sections.checkpoint import get_checkpoint_config
from configs.sections.curriculum import get_curriculum_config
from configs.sections.environments import get_environments_config
from configs.sections.grpo import get_grpo_config
from configs.sections.model import get_model_config
from configs.sections.sandbox import get_config as get_sandbox_config
from configs.sections.synthetic_change import get_synthetic_change_config
from configs.sections.train import get_mesh_config, get_train_config


def tie_shared_fields(config: ml_collections.ConfigDict) -> None:
    """Make each value that two sections need a single field (set the grpo/train side)."""
    config.curriculum.prompts_per_step = config.grpo.get_ref("prompts_per_batch")
    config.curriculum.trainer_asynchrony = config.grpo.get_ref("max_staleness")
    config.curriculum.total_steps = config.train.get_ref("steps")
    config.grpo.optimizer.total_steps = config.train.get_ref("steps") * config.grpo.get_ref("updates_per_batch")


def get_config(size: str = "") -> ml_collections.ConfigDict:
    smoke = size == "smoke"
    config = ml_collections.ConfigDict()
    config.output_dir = "runs/train"
    config.model = get_model_config(dtype="bfloat16", remat=True)
    config.mesh = get_mesh_config()
    config.train = get_train_config()
    config.grpo = get_grpo_config()
    config.curriculum = get_curriculum_config(smoke=smoke)
    config.checkpoint = get_checkpoint_config()
    config.sandbox = get_sandbox_config()
    config.environments = get_environments_config()
    config.synthetic_change = get_synthetic_change_config()
    if smoke:
        config.train.steps = 3
        config.train.max_new_tokens = 64
        config.grpo.group_size = 4
        config.grpo.prompts_per_batch = 2
        config.checkpoint.save_every_steps = 2
    tie_shared_fields(config)
    return config
