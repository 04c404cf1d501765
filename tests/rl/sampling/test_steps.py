"""The slot-level steps the JetStream engine reuses: decode_step advances every running slot
by exactly one token and freezes finished ones; empty slots start finished."""
import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from rl.sampling.decode_state import NO_STOP_TOKEN
from rl.sampling.steps import decode_step, prefill_step
from rl.sampling.token_selection import SamplingSettings
from tests.fixtures.tiny_model import tiny_model


def test_decode_step_advances_running_slots_by_one():
    graphdef, state = nnx.split(tiny_model("llama", seed=2))
    tokens = jnp.array([[3, 4, 5, 0], [6, 7, 0, 0], [0, 0, 0, 0]], jnp.int32)
    lengths = jnp.array([3, 2, 0], jnp.int32)
    keys = jax.random.key_data(jax.random.split(jax.random.key(0), 3))
    stops = jnp.full((3, 2), NO_STOP_TOKEN, jnp.int32)
    prefill = jax.jit(prefill_step, static_argnums=(0, 8))
    step = jax.jit(decode_step, static_argnums=0)
    s, first, _ = prefill(graphdef, state, tokens, lengths, SamplingSettings.uniform(3), keys,
                          jnp.array([3, 5, 5]), stops, 16)
    assert s.finished.tolist() == [False, False, True]
    assert s.positions.tolist() == [3, 2, 0]
    assert s.num_generated.tolist() == [1, 1, 0]
    history = []
    for _ in range(4):
        s, tokens_out, _, emitted = step(graphdef, state, s)
        history.append((emitted.tolist(), s.num_generated.tolist(), s.positions.tolist()))
    # slot 0 stops after 3 tokens (2 steps), slot 1 runs on, slot 2 never runs
    assert history[0] == ([True, True, False], [2, 2, 0], [4, 3, 0])
    assert history[1] == ([True, True, False], [3, 3, 0], [5, 4, 0])
    assert history[2] == ([False, True, False], [3, 4, 0], [5, 5, 0])
    assert history[3] == ([False, True, False], [3, 5, 0], [5, 6, 0])
    assert s.finished.tolist() == [True, True, True]
    assert not np.asarray(s.stopped).any()
