"""Builders for train-step tests, and (run as a module under 8 simulated CPU devices) the
check that one sharded train step over data x fsdp x tensor = 2 x 2 x 2 equals one device.

  XLA_FLAGS=--xla_force_host_platform_device_count=8 python -m tests.rl.sharded_step_check
prints the largest parameter and metric differences as JSON.
"""
from __future__ import annotations

import json

import jax
import numpy as np
import optax
from flax import nnx

from configs.sections.grpo import get_grpo_config
from rl import sharding
from rl.train_step import TrainStepSettings, create_train_state, make_optimizer, make_train_step, state_shardings
from tests.fixtures.tiny_model import TINY_VOCAB_SIZE, tiny_model


def small_grpo_config(**overrides):
    config = get_grpo_config()
    config.group_size = 4
    config.optimizer.learning_rate = 1e-2
    config.optimizer.warmup_steps = 0
    config.optimizer.weight_decay = 0.0
    config.update(overrides)
    return config


def random_batch(batch_size: int = 16, length: int = 12, prompt_length: int = 4, seed: int = 0) -> dict:
    """Random tokens with a prompt/completion split, ragged completion ends and mixed rewards."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, TINY_VOCAB_SIZE, (batch_size, length)).astype(np.int32)
    ends = rng.integers(prompt_length + 2, length + 1, batch_size)
    key_mask = np.arange(length)[None, :] < ends[:, None]
    targets = np.arange(1, length)[None, :]
    completion_mask = ((targets >= prompt_length) & (targets < ends[:, None])).astype(np.float32)
    return dict(
        tokens=tokens,
        key_mask=key_mask,
        completion_mask=completion_mask,
        behaviour_log_probs=rng.uniform(-7.0, -5.5, (batch_size, length - 1)).astype(np.float32),
        rewards=rng.integers(0, 2, batch_size).astype(np.float32),
        truncated=ends == length,
    )


def build(mesh, grpo_config, seed: int = 0, optimizer=None, **model_overrides):
    """(state, step, graphdef) for the tiny qwen2 model placed on `mesh` (AdamW from the
    config unless another optax `optimizer` is given)."""
    model_overrides = {"num_layers": 1, **model_overrides}  # one layer keeps compiles short
    graphdef, params = nnx.split(tiny_model("qwen2", seed=seed, **model_overrides))
    params = sharding.shard_state(params, mesh)
    optimizer = optimizer or make_optimizer(grpo_config.optimizer)
    state = create_train_state(params, optimizer)
    step = make_train_step(
        TrainStepSettings.from_config(grpo_config, temperature=1.0), graphdef, optimizer, state_shardings(state),
        sharding.batch_sharding(mesh, 1), grpo_config.optimizer,
    )
    return state, step, graphdef


def _largest_difference(a, b) -> float:
    diffs = jax.tree.map(lambda x, y: float(np.max(np.abs(np.asarray(x) - np.asarray(y)))), a, b)
    return max(jax.tree.leaves(diffs))


def main() -> None:
    devices = jax.devices()
    assert len(devices) == 8, f"expected 8 simulated devices, got {len(devices)}"
    config = small_grpo_config(updates_per_batch=2, micro_batches=2)
    batch = random_batch()
    # Plain SGD: Adam's first update is about lr * sign(gradient), so it would turn
    # rounding-level gradient differences on near-zero entries into full-size ones.
    sgd = optax.sgd(1.0)
    results = {}
    for name, mesh in (("single", sharding.make_mesh(1, 1, 1, devices[:1])),
                       ("sharded", sharding.make_mesh(2, 2, 2, devices))):
        state, step, _ = build(mesh, config, optimizer=sgd)
        state, metrics = step(state, jax.random.key(0), batch)
        results[name] = (jax.device_get(state.params), jax.device_get(metrics),
                         [str(leaf.sharding.spec) for leaf in jax.tree.leaves(state.params)])
    single, sharded = results["single"], results["sharded"]
    initial = jax.device_get(build(sharding.make_mesh(1, 1, 1, devices[:1]), config, optimizer=sgd)[0].params)
    print(json.dumps({
        "param_difference": _largest_difference(single[0], sharded[0]),
        "param_change": _largest_difference(single[0], initial),
        "metric_difference": _largest_difference(single[1], sharded[1]),
        "sharded_specs": sorted(set(sharded[2])),
        "loss": float(single[1]["loss"]),
    }))


if __name__ == "__main__":
    main()
