"""Checkpoints of the trainer with orbax: the `TrainState` (parameters, optimiser state,
step), the RNG key and any JSON-able extra state (e.g. the curriculum iterator and its
online difficulty statistics), saved together under one step number.

Keeps the last N complete checkpoints, saves asynchronously, and restores the latest
complete one, saying which; if the latest cannot be read (a torn or corrupted write) it
warns and falls back to the one before. A checkpoint written before the layer stack
(`rl.models.layer_stack`: one entry per layer, `layers.0` ... `layers.N-1`, instead of
arrays with a leading [num_layers] axis) is read in that layout and stacked on restore,
with a log line saying so. The Hugging Face export is `rl.export`
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
import jax.numpy as jnp
import numpy as np
import orbax.checkpoint as ocp
from flax import nnx

from rl.export import export_hf
from configs import run_paths
from rl.models.config import ModelConfig
from rl.models.layer_stack import STATE_KEY
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


def _is_layer_parent(node: Any) -> bool:
    return isinstance(node, nnx.State) and STATE_KEY in node


def _per_layer_layout(tree: Any) -> Any:
    """`tree` (abstract: ShapeDtypeStructs) as checkpoints before the layer stack held it:
    every state's stacked "layers" entry split into entries 0..N-1 of one layer each."""

    def one_layer(leaf: jax.ShapeDtypeStruct, index: int) -> jax.ShapeDtypeStruct:
        sharding = leaf.sharding
        if isinstance(sharding, jax.sharding.NamedSharding):
            sharding = jax.sharding.NamedSharding(sharding.mesh, jax.sharding.PartitionSpec(*sharding.spec[1:]))
        return jax.ShapeDtypeStruct(leaf.shape[1:], leaf.dtype, sharding=sharding)

    def split(node: Any) -> Any:
        if not _is_layer_parent(node):
            return node
        raw = node.raw_mapping                          # nested entries are plain dicts
        stack = raw[STATE_KEY]
        count = jax.tree.leaves(stack)[0].shape[0]
        layers = {i: jax.tree.map(lambda leaf, i=i: one_layer(leaf, i), stack) for i in range(count)}
        return nnx.State({key: layers if key == STATE_KEY else value for key, value in raw.items()})

    return jax.tree.map(split, tree, is_leaf=_is_layer_parent)


def _stack_layers(tree: Any, like: Any) -> Any:
    """The inverse of `_per_layer_layout` on restored arrays, placed as `like` (abstract)."""

    def join(node: Any) -> Any:
        if not _is_layer_parent(node):
            return node
        raw = node.raw_mapping
        layers = raw[STATE_KEY]
        stack = jax.tree.map(lambda *leaves: jnp.stack(leaves), *(layers[i] for i in sorted(layers)))
        return nnx.State({key: stack if key == STATE_KEY else value for key, value in raw.items()})

    stacked = jax.tree.map(join, tree, is_leaf=_is_layer_parent)
    return jax.tree.map(lambda array, target: jax.device_put(array, target.sharding) if target.sharding else array,
                        stacked, like)


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
                state, extra = self._restore(step, target)
            except Exception as error:  # noqa: BLE001 - any read failure means "try the previous one"
                logger.warning(
                    "checkpoint at step %d in %s is unreadable (%s: %s); falling back to the previous one",
                    step, self.directory, type(error).__name__, str(error).splitlines()[0][:300] if str(error) else "",
                )
                continue
            logger.info("restored checkpoint at step %d from %s", step, self.directory)
            rng = jax.random.wrap_key_data(state["rng"], impl=jax.random.key_impl(like_rng))
            return RestoredCheckpoint(step, state["train_state"], rng, dict(extra or {}))
        raise RuntimeError(
            f"none of the checkpoints {steps} in {self.directory} could be read; "
            "move the directory aside to start fresh"
        )

    def _restore(self, step: int, target: dict) -> tuple[dict, Any]:
        """(state, extra) of step `step`, the state restored as `target`; one written before the
        layer stack (one entry per layer) is read in that layout and stacked."""
        def read(like):
            return self._manager.restore(
                step, args=ocp.args.Composite(state=ocp.args.StandardRestore(like), extra=ocp.args.JsonRestore()))
        try:
            restored = read(target)
            return dict(restored.state), restored.extra
        except Exception as error:  # noqa: BLE001 - the layout before the stack is the one other reading
            old_target = _per_layer_layout(target)
            if jax.tree.structure(old_target) == jax.tree.structure(target):
                raise                                   # no layer stack in this state: nothing else to try
            try:
                restored = read(old_target)
            except Exception:  # noqa: BLE001 - not the old layout either: report the first error
                raise error from None
        logger.info("checkpoint at step %d holds one entry per layer (written before the layer stack); "
                    "stacking its layers", step)
        state = dict(restored.state)
        state["train_state"] = _stack_layers(state["train_state"], target["train_state"])
        return state, restored.extra

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
