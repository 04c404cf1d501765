"""Run as a subprocess with 8 simulated CPU devices (XLA_FLAGS is set before jax starts):
forward logits and prefill + cached decode on a (data=2, fsdp=2, tensor=2) mesh must equal
the single-device results. Prints the largest differences as JSON."""
import os

os.environ["XLA_FLAGS"] = os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=8"

import json  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from flax import nnx  # noqa: E402

from rl import sharding  # noqa: E402
from rl.models import forward  # noqa: E402
from rl.models.kv_cache import KVCache  # noqa: E402
from tests.fixtures.tiny_model import TINY_VOCAB_SIZE, tiny_model  # noqa: E402


def run(graphdef, state, tokens, lengths, mesh=None):
    logits_fn = jax.jit(forward.logits, static_argnums=0)
    prefill_fn = jax.jit(forward.prefill, static_argnums=(0, 4))
    decode_fn = jax.jit(forward.decode_logits, static_argnums=0)
    if mesh is not None:
        state = sharding.shard_state(state, mesh)
        tokens = jax.device_put(tokens, sharding.batch_sharding(mesh, 2, tokens.shape[0]))
        lengths = jax.device_put(lengths, sharding.batch_sharding(mesh, 1, lengths.shape[0]))
        cache_sharding = sharding.cache_shardings(KVCache.zeros(tiny_config_of(graphdef), tokens.shape[0], 48), mesh)
        prefill_fn = jax.jit(forward.prefill, static_argnums=(0, 4), out_shardings=(None, cache_sharding))
    full = logits_fn(graphdef, state, tokens)
    last, cache = prefill_fn(graphdef, state, tokens[:, :32], lengths, 48)
    positions = lengths
    steps = []
    for _ in range(4):
        step_tokens = jnp.take_along_axis(tokens, positions[:, None], axis=1)[:, 0]
        step_logits, cache = decode_fn(graphdef, state, step_tokens, positions, cache)
        steps.append(np.asarray(step_logits))
        positions = positions + 1
    return np.asarray(full), np.asarray(last), np.stack(steps), cache.keys.sharding


def tiny_config_of(graphdef):
    return MODEL.config


MODEL = tiny_model("qwen3", seed=4)

if __name__ == "__main__":
    assert len(jax.devices()) == 8, jax.devices()
    graphdef, state = nnx.split(MODEL)
    tokens = jnp.asarray(np.random.RandomState(0).randint(0, TINY_VOCAB_SIZE, (8, 40)), jnp.int32)
    lengths = jnp.asarray([32, 20, 31, 5, 32, 17, 9, 26], jnp.int32)
    mesh = sharding.make_mesh(data=2, fsdp=2, tensor=2)
    single = run(graphdef, state, tokens, lengths)
    sharded = run(graphdef, state, tokens, lengths, mesh)
    q_spec = sharding.state_shardings(state, mesh)["layers"]["self_attn"]["q_proj"].get_value().spec
    print(json.dumps({
        "forward": float(np.abs(single[0] - sharded[0]).max()),
        "prefill": float(np.abs(single[1] - sharded[1]).max()),
        "decode": float(np.abs(single[2] - sharded[2]).max()),
        "q_proj_spec": [str(a) for a in q_spec],
        "cache_spec": [str(a) for a in sharded[3].spec],
        "cache_devices": len(sharded[3].device_set),
    }))
