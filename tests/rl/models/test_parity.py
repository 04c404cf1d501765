"""The Flax decoder against transformers (PyTorch CPU) on tiny random models of each family:
fp32 logits within 1e-4, the KV-cache path equal to the full forward pass, and token
log-probs equal to a log-softmax of the reference logits."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from flax import nnx

from rl.models import forward
from tests.fixtures.tiny_model import FAMILIES, TINY_VOCAB_SIZE, tiny_model_from_hf

jit_logits = jax.jit(forward.logits, static_argnums=0)
jit_prefill = jax.jit(forward.prefill, static_argnums=(0, 4))
jit_decode = jax.jit(forward.decode_logits, static_argnums=0)
jit_token_log_probs = jax.jit(forward.token_log_probs, static_argnums=0)


@pytest.fixture(scope="module", params=FAMILIES)
def family_models(request):
    model, hf_model = tiny_model_from_hf(request.param, seed=1)
    tokens = np.random.RandomState(0).randint(0, TINY_VOCAB_SIZE, (2, 96))
    with torch.no_grad():
        reference = hf_model(torch.tensor(tokens)).logits.numpy()
    return nnx.split(model), tokens, reference


def test_full_forward_logits_match_transformers(family_models):
    (graphdef, state), tokens, reference = family_models
    ours = np.asarray(jit_logits(graphdef, state, jnp.asarray(tokens)))
    assert ours.shape == reference.shape
    np.testing.assert_allclose(ours, reference, atol=1e-4, rtol=0)


def test_prefill_then_cached_decode_matches_full_forward(family_models):
    (graphdef, state), tokens, reference = family_models
    lengths = np.array([50, 37])
    prompt = np.where(np.arange(64)[None] < lengths[:, None], tokens[:, :64], 0)  # right padding
    last_logits, cache = jit_prefill(graphdef, state, jnp.asarray(prompt), jnp.asarray(lengths), 96)
    rows = np.arange(2)
    np.testing.assert_allclose(np.asarray(last_logits), reference[rows, lengths - 1], atol=1e-4, rtol=0)
    positions = lengths.copy()
    for _ in range(12):  # rows at different positions in the same step
        step_logits, cache = jit_decode(graphdef, state, jnp.asarray(tokens[rows, positions]),
                                        jnp.asarray(positions), cache)
        np.testing.assert_allclose(np.asarray(step_logits), reference[rows, positions], atol=1e-4, rtol=0)
        positions += 1


def test_token_log_probs_are_log_softmax_of_reference(family_models):
    (graphdef, state), tokens, reference = family_models
    temperature = 0.7
    ours = np.asarray(jit_token_log_probs(graphdef, state, jnp.asarray(tokens), temperature))
    scaled = torch.tensor(reference[:, :-1] / temperature)
    expected = torch.log_softmax(scaled, -1).gather(-1, torch.tensor(tokens[:, 1:, None])).squeeze(-1).numpy()
    np.testing.assert_allclose(ours, expected, atol=1e-4, rtol=0)
