"""The `train` and `mesh` sections: the GRPO loop's own fields and the device mesh.

`train.steps` is the number of trainer iterations (rollout batches), the paper's 40K at
full scale. The rollouts' sampling settings are this section's `temperature`, `top_p`,
`top_k` and `max_new_tokens` (read together by `rl.rollout.rollout_sampling`); the GRPO
objective scales its log-probs by the same `temperature`, so that they are the
probabilities the rollouts were sampled from. `max_new_tokens` bounds each rollout
completion (completions that hit it are "truncated" and, with overlong filtering, left out
of the loss); `max_refills` bounds dynamic-sampling refills per step (DAPO refills until
the batch is full; a bound keeps a step's cost predictable). `sequence_bucket`: each
step's batch is as long as its longest row (prompt + completion) rounded up to a multiple
of this, at most the curriculum's max_prompt_tokens + max_new_tokens; each distinct length
compiles the step once (0: always the maximum, one compilation). The mesh axes are (data,
fsdp, tensor); -1 takes the devices left.
"""
from __future__ import annotations

import ml_collections

from configs.validation import at_least, require


def get_train_config() -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.steps = 100
    config.seed = 0
    config.max_new_tokens = 256
    config.temperature = 1.0              # rollouts and the objective's log-probs share it (DAPO: 1.0)
    config.top_p = 1.0
    config.top_k = 0
    config.max_refills = 2
    config.log_rollouts_per_step = 4
    config.sequence_bucket = 128
    return config


def get_mesh_config() -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.data = 1
    config.fsdp = -1
    config.tensor = 1
    return config


def validate_train(section: ml_collections.ConfigDict, name: str = "train") -> None:
    at_least(f"{name}.steps", section.steps, 1)
    at_least(f"{name}.max_new_tokens", section.max_new_tokens, 1)
    require(section.temperature > 0, f"{name}.temperature", section.temperature, "out of range, it must be > 0")
    require(0.0 < section.top_p <= 1.0, f"{name}.top_p", section.top_p, "out of range, it must be in (0, 1]")
    at_least(f"{name}.top_k", section.top_k, 0)
    at_least(f"{name}.max_refills", section.max_refills, 0)
    at_least(f"{name}.log_rollouts_per_step", section.log_rollouts_per_step, 0)
    at_least(f"{name}.sequence_bucket", section.sequence_bucket, 0)


def validate_mesh(section: ml_collections.ConfigDict, name: str = "mesh") -> None:
    for axis in ("data", "fsdp", "tensor"):
        value = section[axis]
        require(value == -1 or value >= 1, f"{name}.{axis}", value, "a device count >= 1, or -1 for the rest")
