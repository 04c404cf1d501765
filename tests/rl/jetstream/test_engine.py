"""The JetStream engine over a tiny random model: slot stepping, batch independence,
agreement with a full forward pass, and the cache bound."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rl.jetstream.request_sampling import RequestSampling
from rl.models import forward
from rl.sampling.sampler import Sampler
from tests.rl.jetstream.engine_fixtures import padded, tiny_engine

PROMPT_A = [5, 17, 99, 3, 250, 7]
PROMPT_B = [40, 41, 42]
PROMPT_C = [300, 301, 302, 303, 304, 305, 306, 307, 308]


def run_alone(engine, prompt, sampling, steps):
    params = engine.load_params()
    state = engine.init_decode_state()
    prefix = engine.prefill(params=params, padded_tokens=padded(prompt), true_length=len(prompt),
                            sampling=sampling)
    state = engine.insert(prefix, state, slot=0)
    tokens = []
    for _ in range(steps):
        state, result = engine.generate(params, state)
        tokens.append(int(result.convert_to_numpy().get_result_at_slot(0).tokens[0, 0]))
    return tokens


@pytest.fixture(scope="module")
def engine():
    return tiny_engine()


def test_generate_advances_every_active_slot_by_one_token(engine):
    params = engine.load_params()
    state = engine.init_decode_state()
    for slot, prompt in [(0, PROMPT_A), (1, PROMPT_B), (3, PROMPT_C)]:
        prefix = engine.prefill(params=params, padded_tokens=padded(prompt), true_length=len(prompt))
        state = engine.insert(prefix, state, slot=slot)
    for step in range(1, 6):
        before = np.asarray(state.decode.positions)
        state, result = engine.generate(params, state)
        result = result.convert_to_numpy()
        for slot in (0, 1, 3):
            data = result.get_result_at_slot(slot)
            assert data.tokens.shape == (1, 1)
            assert data.valid[0, 0] == 1
            assert data.lengths[0] == step
        assert result.get_result_at_slot(2).valid[0, 0] == 0  # a free slot emits nothing
        np.testing.assert_array_equal(np.asarray(state.decode.positions)[[0, 1, 3]], before[[0, 1, 3]] + 1)


@pytest.mark.parametrize("sampling", [
    RequestSampling(temperature=0.0),
    RequestSampling(temperature=1.0, top_p=0.9, top_k=50, seed=3, sample_index=2),
])
def test_request_inserted_mid_decode_matches_running_alone(engine, sampling):
    alone = run_alone(engine, PROMPT_A, sampling, steps=8)
    params = engine.load_params()
    state = engine.init_decode_state()
    other = RequestSampling(temperature=0.7, seed=11)
    for slot, prompt in [(0, PROMPT_B), (1, PROMPT_C)]:
        prefix = engine.prefill(params=params, padded_tokens=padded(prompt), true_length=len(prompt),
                                sampling=other)
        state = engine.insert(prefix, state, slot=slot)
    for _ in range(3):
        state, _ = engine.generate(params, state)
    prefix = engine.prefill(params=params, padded_tokens=padded(PROMPT_A), true_length=len(PROMPT_A),
                            sampling=sampling)
    state = engine.insert(prefix, state, slot=2)
    together = []
    for _ in range(8):
        state, result = engine.generate(params, state)
        together.append(int(result.convert_to_numpy().get_result_at_slot(2).tokens[0, 0]))
    assert together == alone


def test_seeds_and_sample_indices_give_different_draws(engine):
    draws = {tuple(run_alone(engine, PROMPT_A, RequestSampling(temperature=1.0, seed=seed, sample_index=index), 6))
             for seed, index in [(0, 0), (0, 1), (1, 0)]}
    assert len(draws) == 3
    again = run_alone(engine, PROMPT_A, RequestSampling(temperature=1.0, seed=0, sample_index=1), 6)
    assert tuple(again) in draws


def test_greedy_tokens_equal_full_forward_argmax(engine):
    tokens = run_alone(engine, PROMPT_A, RequestSampling(temperature=0.0), steps=6)
    full_forward = jax.jit(forward.logits, static_argnums=0)
    sequence = list(PROMPT_A)
    for _ in range(6):
        # Right padding to a fixed length: causal attention keeps it out of earlier positions.
        logits = full_forward(engine._graphdef, engine.load_params(), jnp.asarray([padded(sequence)]))
        sequence.append(int(jnp.argmax(logits[0, len(sequence) - 1])))
    assert tokens == sequence[len(PROMPT_A):]


def test_tokens_equal_the_in_process_sampler_for_the_same_seed(engine):
    sampler = Sampler(engine._graphdef, engine.load_params())
    out = sampler.sample([PROMPT_A] * 3, max_new_tokens=6, temperature=1.0, top_p=0.95,
                         rng=jax.random.key(7))
    served = [run_alone(engine, PROMPT_A, RequestSampling(temperature=1.0, top_p=0.95, seed=7, sample_index=i), 6)
              for i in range(3)]
    assert served == [list(tokens) for tokens in out.tokens]


def test_tokens_past_the_cache_are_invalid():
    small = tiny_engine(slots=1, max_prefill_length=16, max_cache_length=20)
    params = small.load_params()
    state = small.insert(small.prefill(params=params, padded_tokens=padded(PROMPT_A),
                                       true_length=len(PROMPT_A)), small.init_decode_state(), 0)
    valid = []
    for _ in range(16):
        state, result = small.generate(params, state)
        valid.append(int(result.convert_to_numpy().get_result_at_slot(0).valid[0, 0]))
    # The prompt takes 6 of 20 positions: 14 generated tokens fit.
    assert valid == [1] * 14 + [0] * 2


def test_bad_sizes_are_named():
    with pytest.raises(ValueError, match="prefill buckets"):
        tiny_engine(max_prefill_length=100)
    with pytest.raises(ValueError, match="must exceed max_prefill_length"):
        tiny_engine(max_prefill_length=16, max_cache_length=16)
