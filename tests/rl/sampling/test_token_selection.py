"""Token selection: greedy at temperature 0, truncation by top-k/top-p, sampling frequencies,
and log-probs under the temperature-scaled full softmax (before truncation)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rl.sampling.token_selection import SamplingSettings, select_tokens

LOGITS = jnp.log(jnp.array([[0.5, 0.3, 0.15, 0.05]], jnp.float32))


def _keys(n, seed=0):
    return jax.random.split(jax.random.key(seed), n)


def _settings(n, **kwargs):
    return SamplingSettings.uniform(n, **kwargs)


def test_greedy_picks_argmax_with_plain_log_prob():
    logits = jnp.array([[0.1, 2.0, -1.0], [3.0, 0.0, 0.0]], jnp.float32)
    tokens, log_probs = select_tokens(logits, _settings(2, temperature=0.0), _keys(2))
    assert tokens.tolist() == [1, 0]
    np.testing.assert_allclose(log_probs, jax.nn.log_softmax(logits)[jnp.arange(2), tokens], rtol=1e-6)


def _sample_many(settings_kwargs, n=4000):
    logits = jnp.repeat(LOGITS, n, axis=0)
    return select_tokens(logits, _settings(n, **settings_kwargs), _keys(n))


def test_temperature_one_sampling_follows_the_distribution():
    tokens, _ = _sample_many(dict(temperature=1.0))
    frequencies = np.bincount(np.asarray(tokens), minlength=4) / tokens.shape[0]
    np.testing.assert_allclose(frequencies, [0.5, 0.3, 0.15, 0.05], atol=0.03)


def test_top_k_and_top_p_truncate_but_log_probs_use_the_full_softmax():
    tokens, log_probs = _sample_many(dict(temperature=1.0, top_k=2))
    assert set(np.asarray(tokens).tolist()) == {0, 1}
    expected = np.log(np.array([0.5, 0.3, 0.15, 0.05]))[np.asarray(tokens)]
    np.testing.assert_allclose(log_probs, expected, rtol=1e-5)
    # nucleus 0.7: tokens 0 (mass before 0) and 1 (mass before 0.5) stay, 2 (0.8) goes
    tokens, _ = _sample_many(dict(temperature=1.0, top_p=0.7))
    assert set(np.asarray(tokens).tolist()) == {0, 1}
    tokens, _ = _sample_many(dict(temperature=1.0, top_p=0.01))
    assert set(np.asarray(tokens).tolist()) == {0}


def test_log_probs_are_temperature_scaled():
    tokens, log_probs = _sample_many(dict(temperature=0.5), n=64)
    expected = jax.nn.log_softmax(LOGITS[0] / 0.5)[tokens]
    np.testing.assert_allclose(log_probs, expected, rtol=1e-5)


def test_mixed_rows_greedy_and_sampled():
    logits = jnp.repeat(LOGITS, 2, axis=0)
    settings = SamplingSettings(temperature=jnp.array([0.0, 1.0]), top_p=jnp.ones(2), top_k=jnp.array([0, 1]))
    tokens, _ = select_tokens(logits, settings, _keys(2))
    assert tokens.tolist() == [0, 0]


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="top_p"):
        SamplingSettings.uniform(1, temperature=1.0, top_p=0.0)
    with pytest.raises(ValueError, match="temperature"):
        SamplingSettings.uniform(1, temperature=-1.0)


def test_sampling_over_a_vocabulary_of_many_blocks_follows_the_distribution():
    # mass on entries in different blocks of the two-level inversion, one at the very end
    vocab, n = 5000, 4000
    chosen = [3, 1500, 1023, 1024, 4999]
    probabilities = np.array([0.3, 0.25, 0.2, 0.15, 0.1])
    row = np.full((vocab,), -1e9, np.float32)
    row[chosen] = np.log(probabilities)
    logits = jnp.repeat(jnp.asarray(row)[None], n, axis=0)
    tokens, _ = select_tokens(logits, _settings(n, temperature=1.0), _keys(n, seed=3))
    counts = np.bincount(np.asarray(tokens), minlength=vocab)
    assert counts.sum() == counts[chosen].sum()
    np.testing.assert_allclose(counts[chosen] / n, probabilities, atol=0.03)
