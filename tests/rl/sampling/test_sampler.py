"""The Sampler on a tiny random model: stop tokens and stop strings, right padding and batch
consistency, log-probs equal to a forward pass's, determinism for a key, length limits."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from rl.models import forward
from rl.sampling.sampler import Sampler
from tests.fixtures.tiny_model import tiny_model

PROMPTS = [[5, 17, 300, 2, 9, 44, 101], [260, 3], list(range(40, 75))]
NEW = 12


def detokenize(ids):
    return "".join(chr(ord("a") + i % 26) for i in ids)


@pytest.fixture(scope="module")
def sampler():
    return Sampler.from_model(tiny_model("qwen3", seed=3), prompt_bucket=64)  # one prompt shape: fewer compiles


@pytest.fixture(scope="module")
def greedy(sampler):
    return sampler.sample(PROMPTS, max_new_tokens=NEW)


def test_length_limit_and_reasons(greedy):
    assert [len(t) for t in greedy.tokens] == [NEW] * 3
    assert greedy.finish_reasons == ["length"] * 3
    assert greedy.prompt_lengths == [len(p) for p in PROMPTS]


def test_prompt_decodes_the_same_alone_and_in_a_batch(sampler, greedy):
    for row, prompt in enumerate(PROMPTS):
        alone = sampler.sample([prompt], max_new_tokens=NEW)
        assert alone.tokens[0] == greedy.tokens[row]
        np.testing.assert_allclose(alone.log_probs[0], greedy.log_probs[row], atol=1e-5)


def test_sampled_rows_are_batch_independent_and_deterministic(sampler):
    key = jax.random.key(7)
    batch = sampler.sample(PROMPTS, max_new_tokens=NEW, temperature=1.0, top_p=0.95, rng=key)
    again = sampler.sample(PROMPTS, max_new_tokens=NEW, temperature=1.0, top_p=0.95, rng=key)
    assert batch.tokens == again.tokens
    alone = sampler.sample([PROMPTS[2]], max_new_tokens=NEW, temperature=1.0, top_p=0.95,
                           rng=jax.random.fold_in(key, 2)[None])
    assert alone.tokens[0] == batch.tokens[2]
    other = sampler.sample(PROMPTS, max_new_tokens=NEW, temperature=1.0, top_p=0.95, rng=jax.random.key(8))
    assert other.tokens != batch.tokens


def test_log_probs_equal_a_forward_pass(sampler):
    temperature = 0.8
    out = sampler.sample(PROMPTS, max_new_tokens=NEW, temperature=temperature, rng=jax.random.key(1))
    sequences = [prompt + tokens for prompt, tokens in zip(PROMPTS, out.tokens)]
    width = max(len(s) for s in sequences)
    batch = jnp.asarray([s + [0] * (width - len(s)) for s in sequences])  # trailing padding is harmless
    expected = jax.jit(forward.token_log_probs, static_argnums=0)(sampler.graphdef, sampler.state, batch, temperature)
    for row, (prompt, log_probs) in enumerate(zip(PROMPTS, out.log_probs)):
        start = len(prompt) - 1
        np.testing.assert_allclose(log_probs, np.asarray(expected[row, start:start + NEW]), atol=1e-4)


def test_stop_token_ends_a_row_and_is_kept(sampler, greedy):
    stop = greedy.tokens[0][4]
    first = greedy.tokens[0].index(stop)
    out = sampler.sample(PROMPTS, max_new_tokens=NEW, stop_token_ids=(stop,))
    assert out.tokens[0] == greedy.tokens[0][: first + 1]
    assert out.finish_reasons[0] == "stop"
    for row in (1, 2):  # other rows stop at their own first occurrence, or run to the limit
        reference = greedy.tokens[row]
        if stop in reference:
            assert out.tokens[row] == reference[: reference.index(stop) + 1]
            assert out.finish_reasons[row] == "stop"
        else:
            assert out.tokens[row] == reference and out.finish_reasons[row] == "length"


def test_stop_string_cuts_after_the_completing_token(sampler, greedy):
    reference = greedy.tokens[1]
    stop_string = detokenize(reference[5:7])
    text = detokenize(reference)
    end = text.index(stop_string) + len(stop_string)  # one character per token
    out = sampler.sample(PROMPTS, max_new_tokens=NEW, stop_strings=(stop_string,), detokenize=detokenize)
    assert out.tokens[1] == reference[:end]
    assert out.finish_reasons[1] == "stop"
    for row in (0, 2):
        if stop_string not in detokenize(greedy.tokens[row]):
            assert out.tokens[row] == greedy.tokens[row] and out.finish_reasons[row] == "length"


def test_user_errors_are_named(sampler):
    with pytest.raises(ValueError, match="detokenize"):
        sampler.sample(PROMPTS, max_new_tokens=4, stop_strings=("x",))
    with pytest.raises(ValueError, match="at least one token"):
        sampler.sample([[]], max_new_tokens=4)
