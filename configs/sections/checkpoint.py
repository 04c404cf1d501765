"""The `checkpoint` section: where and how often orbax saves the trainer's state
(parameters, optimiser state, step, RNG and JSON extra state such as the curriculum
iterator), how many to keep, where to export the policy as a Hugging Face directory
(safetensors in `export_dtype`, sharded past `export_max_shard_mb`, with tokenizer, chat
template and generation config: rl.export) that rl.evaluate, rl.generate and
transformers load, and the resume policy of `python -m rl.train` / `python -m rl.main`:

  resume     "auto"  (default) resume from the latest checkpoint if there is one, else start
             "must"  resume or stop with one line of error (a mistyped path never starts
                     a fresh run)
             "never" start fresh; stop if the directory already holds checkpoints, unless
                     `overwrite` is true: then they are moved aside to
                     <directory>.replaced-<UTC time> (never deleted); rl.main also moves
                     the previous run's evaluation results and train/ logs aside
  overwrite  see "never"
"""
from __future__ import annotations

import ml_collections

from configs.validation import at_least, one_of


def get_checkpoint_config() -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.directory = ""              # empty: <output_dir>/checkpoints
    config.save_every_steps = 100
    config.keep_last = 3               # N most recent complete checkpoints kept
    config.async_save = True           # write in the background while training continues
    config.save_on_preemption = True   # save the current step on SIGTERM (the loop's job)
    config.export_directory = ""       # empty: no Hugging Face export at the end of a run (rl.export)
    config.export_dtype = "float32"    # or "bfloat16" / "float16"
    config.export_max_shard_mb = 2048  # safetensors files past this size are split (with an index)
    config.resume = "auto"             # "auto" | "must" | "never" (see the module docstring)
    config.overwrite = False           # with resume="never": move existing checkpoints aside
    return config


def validate(section: ml_collections.ConfigDict, name: str = "checkpoint") -> None:
    at_least(f"{name}.save_every_steps", section.save_every_steps, 1)
    at_least(f"{name}.keep_last", section.keep_last, 1)
    one_of(f"{name}.export_dtype", section.export_dtype, ("float32", "bfloat16", "float16"))
    one_of(f"{name}.resume", section.resume, ("auto", "must", "never"))
    at_least(f"{name}.export_max_shard_mb", section.export_max_shard_mb, 1)
