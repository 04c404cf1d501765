"""Checkpoints of the trainer with orbax: the `TrainState` (parameters, optimiser state,
step), the RNG key and any JSON-able extra state (e.g. the curriculum iterator and its
online difficulty statistics), saved together under one step number.

Keeps the last N complete checkpoints, saves asynchronously, and restores the latest
complete one, saying which; if the latest cannot be read (a torn or corrupted write) it
warns and falls back to the one before. The Hugging Face export is `rl.export`
(`export_safetensors` here is its float32, weights-only form).

Resume policy (`checkpoint.resume`, applied by `apply_resume_policy` before anything is
written): "auto" resumes from the latest checkpoint if there is one and starts fresh
otherwise; "must" refuses to start (`ResumePolicyError`, one line) unless the directory
holds a complete checkpoint, so a mistyped path never silently starts a new run;
"never" refuses to start when the directory already holds a checkpoint, unless
`checkpoint.overwrite` is set, in which case the old checkpoints are moved aside to
`<directory>.replaced-<UTC time>` (never deleted) and the run starts fresh.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from typing import Any, Mapping, Optional

import jax
import numpy as np
import orbax.checkpoint as ocp
from flax import nnx

from rl.export import export_hf
from configs import run_paths
from rl.models.config import ModelConfig
from rl.train_step import TrainState

logger = logging.getLogger(__name__)


RESUME_POLICIES = ("auto", "must", "never")


class ResumePolicyError(RuntimeError):
    """The run may not start as `checkpoint.resume` says (the message is one line)."""


def checkpoint_directory(config) -> str:
    """Where the run's checkpoints live: `checkpoint.directory`, else <output_dir>/checkpoints
    (any filesystem `configs.run_paths` reaches, e.g. gs://)."""
    return str(config.checkpoint.directory or run_paths.join(str(config.output_dir), "checkpoints"))


def complete_steps(directory: str | os.PathLike) -> list[int]:
    """Steps of the complete checkpoints in `directory` (orbax renames a step's temporary
    directory to the bare step number only once the step is fully written), oldest first."""
    try:
        names = run_paths.listdir(directory)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(int(name) for name in names
                  if name.isdigit() and run_paths.isdir(run_paths.join(directory, name)))


def apply_resume_policy(directory: str, policy: str, overwrite: bool = False,
                        move: bool = True) -> list[int]:
    """Check `policy` against the checkpoints in `directory` before the run writes any;
    the steps found (after moving them aside under "never" + overwrite; `move=False` on
    hosts other than the primary, which only check)."""
    if policy not in RESUME_POLICIES:
        raise ResumePolicyError(f"checkpoint.resume={policy!r} is unknown; choose one of {RESUME_POLICIES}")
    steps = complete_steps(directory)
    if policy == "must" and not steps:
        why = "does not exist" if not run_paths.isdir(directory) else "holds no complete checkpoint"
        raise ResumePolicyError(f"checkpoint.resume='must' but the checkpoint directory {directory} {why}; "
                                "check the path (checkpoint.directory / output_dir) or use resume='auto'")
    if policy == "never" and steps:
        if not overwrite:
            raise ResumePolicyError(
                f"checkpoint.resume='never' but {directory} already holds checkpoints (steps {steps}); "
                "use resume='auto' to continue, another output_dir, or checkpoint.overwrite=true to move them aside")
        if move:
            aside = f"{str(directory).rstrip('/')}.replaced-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
            run_paths.move(directory, aside)
            logger.warning("checkpoint.resume='never' with overwrite: moved the old checkpoints to %s", aside)
        return []
    return steps


@dataclasses.dataclass
class RestoredCheckpoint:
    step: int
    state: TrainState
    rng: jax.Array
    extra: dict[str, Any]


def _abstract(tree: Any) -> Any:
    """ShapeDtypeStructs (with shardings, where known) for every array leaf of `tree`."""

    def leaf(x):
        if isinstance(x, jax.ShapeDtypeStruct):
            return x
        return jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=getattr(x, "sharding", None))

    return jax.tree.map(leaf, tree)


class Checkpointer:
    """Saves and restores trainer checkpoints in `directory` (one sub-directory per step)."""

    def __init__(self, directory: str | os.PathLike, keep_last: int = 3, async_save: bool = True):
        if keep_last < 1:
            raise ValueError(f"checkpoint.keep_last must be >= 1, got {keep_last}")
        # Local paths made absolute (orbax needs that); gs:// and other schemes as given.
        self.directory = run_paths.run_path(directory)
        if run_paths.is_local(directory):
            self.directory = self.directory.absolute()
        options = ocp.CheckpointManagerOptions(
            max_to_keep=keep_last, enable_async_checkpointing=async_save, create=True
        )
        self._manager = ocp.CheckpointManager(self.directory, options=options, item_names=("state", "extra"))

    def save(self, step: int, state: TrainState, rng: jax.Array, extra: Optional[Mapping[str, Any]] = None) -> None:
        """Start saving (returns at once when asynchronous; the arrays are copied first)."""
        extra = dict(extra or {})
        try:
            json.dumps(extra)
        except TypeError as error:
            raise ValueError(f"checkpoint extra state must be JSON-serialisable: {error}") from None
        tree = {"train_state": state, "rng": jax.random.key_data(rng)}
        self._manager.save(
            step,
            args=ocp.args.Composite(state=ocp.args.StandardSave(tree), extra=ocp.args.JsonSave(extra)),
            force=True,
        )

    def wait_until_finished(self) -> None:
        self._manager.wait_until_finished()

    def steps(self) -> list[int]:
        """Steps of the complete checkpoints on disk, oldest first."""
        self._manager.reload()
        return sorted(self._manager.all_steps())

    def restore_latest(self, like_state: TrainState, like_rng: jax.Array) -> Optional[RestoredCheckpoint]:
        """The latest readable checkpoint, placed like `like_state` (arrays or ShapeDtypeStructs
        carrying the target shardings); None when there is none. Unreadable ones are skipped
        with a warning."""
        self.wait_until_finished()
        steps = self.steps()
        if not steps:
            logger.info("no checkpoint in %s; starting fresh", self.directory)
            return None
        target = {"train_state": _abstract(like_state), "rng": _abstract(jax.random.key_data(like_rng))}
        for step in reversed(steps):
            try:
                restored = self._manager.restore(
                    step,
                    args=ocp.args.Composite(state=ocp.args.StandardRestore(target), extra=ocp.args.JsonRestore()),
                )
            except Exception as error:  # noqa: BLE001 - any read failure means "try the previous one"
                logger.warning(
                    "checkpoint at step %d in %s is unreadable (%s: %s); falling back to the previous one",
                    step, self.directory, type(error).__name__, str(error).splitlines()[0][:300] if str(error) else "",
                )
                continue
            logger.info("restored checkpoint at step %d from %s", step, self.directory)
            rng = jax.random.wrap_key_data(restored.state["rng"], impl=jax.random.key_impl(like_rng))
            return RestoredCheckpoint(step, restored.state["train_state"], rng, dict(restored.extra or {}))
        raise RuntimeError(
            f"none of the checkpoints {steps} in {self.directory} could be read; "
            "move the directory aside to start fresh"
        )

    def close(self) -> None:
        self._manager.wait_until_finished()
        self._manager.close()

    def __enter__(self) -> "Checkpointer":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def export_safetensors(params: nnx.State, config: ModelConfig, directory: str | os.PathLike) -> os.PathLike:
    """Write `params` as a Hugging Face directory (float32, no tokenizer): `rl.export.export_hf`,
    which also writes the tokenizer, other dtypes and shards."""
    return export_hf(params, config, directory)
