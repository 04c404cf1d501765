"""The attention kernels agree: `jax.nn.dot_product_attention` over the causal/length form of
the mask (what cuDNN's fused kernel takes) gives the einsum kernel's logits, gradients and
cached decode on the tiny models; the two forms of a mask select the same keys; "auto"
picks the einsum kernel off GPU; a bad choice fails with its name."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from configs.sections import model as model_section
from rl.models import attention, config as model_config, forward
from tests.fixtures.tiny_model import TINY_VOCAB_SIZE, tiny_model

RNG = np.random.RandomState(3)
TOKENS = jnp.asarray(RNG.randint(0, TINY_VOCAB_SIZE, (3, 21)), jnp.int32)
LENGTHS = jnp.asarray([21, 9, 14], jnp.int32)
KEY_MASK = jnp.arange(21)[None, :] < LENGTHS[:, None]


def _split(family, implementation, **overrides):
    model = tiny_model(family, seed=7, attention=implementation, **overrides)
    return nnx.split(model)


def _valid(array):
    """Entries at valid (non-padding) positions of a [b, t, ...] array."""
    return np.asarray(array)[np.asarray(KEY_MASK)]


@pytest.mark.parametrize("family", ["qwen2", "qwen3", "llama"])
def test_fused_form_gives_the_einsum_logits_and_gradients(family):
    results = {}
    for implementation in ("einsum", "xla"):
        graphdef, state = _split(family, implementation)
        logits = jax.jit(forward.logits, static_argnums=0)(graphdef, state, TOKENS, None, KEY_MASK)

        def loss(state):
            log_probs = forward.token_log_probs(graphdef, state, TOKENS, key_mask=KEY_MASK)
            return -(log_probs * KEY_MASK[:, 1:]).sum()

        value, grads = jax.jit(jax.value_and_grad(loss))(state)
        results[implementation] = (_valid(logits), float(value), jax.tree.leaves(grads))
    (einsum_logits, einsum_loss, einsum_grads), (xla_logits, xla_loss, xla_grads) = results.values()
    np.testing.assert_allclose(xla_logits, einsum_logits, atol=2e-5, rtol=1e-5)
    np.testing.assert_allclose(xla_loss, einsum_loss, rtol=1e-5)
    for ours, theirs in zip(einsum_grads, xla_grads):
        np.testing.assert_allclose(theirs, ours, atol=2e-5, rtol=2e-4)


def test_fused_form_in_bfloat16_stays_within_the_mixed_precision_tolerance():
    outputs = {}
    for implementation in ("einsum", "xla"):
        graphdef, state = _split("qwen2", implementation, dtype="bfloat16")
        outputs[implementation] = _valid(jax.jit(forward.logits, static_argnums=0)(graphdef, state, TOKENS, None,
                                                                                   KEY_MASK))
    scale = np.abs(outputs["einsum"]).max()
    assert np.abs(outputs["xla"] - outputs["einsum"]).max() <= 0.02 * scale


def test_prefill_and_cached_decode_agree_between_kernels():
    steps = {}
    for implementation in ("einsum", "xla"):
        graphdef, state = _split("qwen3", implementation)
        last, cache = jax.jit(forward.prefill, static_argnums=(0, 4))(graphdef, state, TOKENS[:, :16],
                                                                       jnp.minimum(LENGTHS, 16), 24)
        positions = jnp.minimum(LENGTHS, 16)
        rows = [np.asarray(last)]
        for _ in range(3):
            step_tokens = jnp.take_along_axis(TOKENS, jnp.minimum(positions, 20)[:, None], axis=1)[:, 0]
            step_logits, cache = jax.jit(forward.decode_logits, static_argnums=0)(graphdef, state, step_tokens,
                                                                                   positions, cache)
            rows.append(np.asarray(step_logits))
            positions = positions + 1
        steps[implementation] = np.stack(rows)
    np.testing.assert_allclose(steps["xla"], steps["einsum"], atol=2e-5, rtol=1e-5)


def test_cached_decode_equals_the_full_forward_with_the_fused_form():
    graphdef, state = _split("llama", "xla")
    full = jax.jit(forward.logits, static_argnums=0)(graphdef, state, TOKENS)
    _, cache = jax.jit(forward.prefill, static_argnums=(0, 4))(graphdef, state, TOKENS[:, :10],
                                                               jnp.full((3,), 10, jnp.int32), 21)
    for position in range(10, 14):
        step_logits, cache = jax.jit(forward.decode_logits, static_argnums=0)(
            graphdef, state, TOKENS[:, position], jnp.full((3,), position, jnp.int32), cache)
        np.testing.assert_allclose(np.asarray(step_logits), np.asarray(full[:, position]), atol=2e-5, rtol=1e-5)


def test_the_two_forms_of_a_mask_select_the_same_keys():
    key_mask = jnp.asarray(np.arange(7)[None, :] < np.asarray([7, 3])[:, None])
    fused = attention.AttentionMask.causal_right_padded(2, 7, key_mask)
    assert fused.fusable and fused.causal
    np.testing.assert_array_equal(np.asarray(fused.key_lengths), [7, 3])
    expected = (np.arange(7)[None, None, :] <= np.arange(7)[None, :, None]) & np.asarray(key_mask)[:, None, :]
    np.testing.assert_array_equal(np.asarray(fused.allowed), expected)
    one_step = attention.AttentionMask.cached(jnp.asarray([[4], [0]]), 6)
    np.testing.assert_array_equal(np.asarray(one_step.key_lengths), [5, 1])
    np.testing.assert_array_equal(np.asarray(one_step.allowed)[:, 0], np.arange(6)[None, :] <= np.asarray([[4], [0]]))
    assert not attention.AttentionMask.cached(jnp.asarray([[4, 5]]), 6).fusable   # several steps: einsum only


def test_auto_takes_einsum_off_gpu_and_bad_choices_fail_by_name():
    config = tiny_model("qwen2").config
    fused = attention.AttentionMask.causal_right_padded(1, 4, None)
    if jax.default_backend() != "gpu":
        assert attention.choose(config.replace(dtype="bfloat16"), fused) == "einsum"
    assert attention.choose(config.replace(attention="xla"), fused) == "xla"
    assert attention.choose(config.replace(attention="xla"), attention.AttentionMask.cached(jnp.zeros((1, 2), jnp.int32),
                                                                                         4)) == "einsum"
    with pytest.raises(ValueError, match="16-bit"):
        config.replace(attention="cudnn")
    assert attention.choose(config.replace(attention="cudnn", dtype="bfloat16"), fused) == "cudnn"
    with pytest.raises(ValueError, match="flash"):
        config.replace(attention="flash")


def test_config_section_lists_the_models_kernels():
    assert model_section.ATTENTION_IMPLEMENTATIONS == model_config.ATTENTION_IMPLEMENTATIONS


def test_prefill_of_a_rematerialised_model_passes_the_mask_through_remat():
    """remat=True runs each layer under nnx.remat outside the training scan (prefill): the mask
    is an argument there, so it must be a pytree."""
    outputs = {}
    for remat in (False, True):
        graphdef, state = _split("qwen2", "xla", remat=remat)
        last, _ = jax.jit(forward.prefill, static_argnums=(0, 4))(graphdef, state, TOKENS[:, :16],
                                                                   jnp.minimum(LENGTHS, 16), 24)
        outputs[remat] = np.asarray(last)
    np.testing.assert_allclose(outputs[True], outputs[False], atol=1e-5)
