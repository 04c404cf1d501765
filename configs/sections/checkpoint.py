"""The `checkpoint` section: where and how often orbax saves the trainer's state
(parameters, optimiser state, step, RNG and JSON extra state such as the curriculum
iterator), how many to keep, and where to export the policy as safetensors."""
from __future__ import annotations

import ml_collections

from configs.validation import at_least


def get_checkpoint_config() -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.directory = ""              # empty: <output_dir>/checkpoints
    config.save_every_steps = 100
    config.keep_last = 3               # N most recent complete checkpoints kept
    config.async_save = True           # write in the background while training continues
    config.save_on_preemption = True   # save the current step on SIGTERM (the loop's job)
    config.export_directory = ""       # empty: no safetensors export at the end of a run
    return config


def validate(section: ml_collections.ConfigDict, name: str = "checkpoint") -> None:
    at_least(f"{name}.save_every_steps", section.save_every_steps, 1)
    at_least(f"{name}.keep_last", section.keep_last, 1)
