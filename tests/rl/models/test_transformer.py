"""Model-level behaviour beyond parity: remat gives the same gradients, bf16 matmuls stay
close to float32, padding after a sequence does not change its logits, and configs read
transformers >= 5 `rope_parameters` and hash (they are static jit arguments)."""
import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from rl.models import forward

logits_fn = jax.jit(forward.logits, static_argnums=0)
from rl.models.config import ModelConfig
from tests.fixtures.tiny_model import TINY_VOCAB_SIZE, tiny_config, tiny_model

TOKENS = jnp.asarray(np.random.RandomState(0).randint(0, TINY_VOCAB_SIZE, (2, 24)), jnp.int32)


def _loss_and_grads(config_overrides):
    graphdef, state = nnx.split(tiny_model("llama", seed=5, **config_overrides))

    def loss(state):
        return -forward.token_log_probs(graphdef, state, TOKENS).mean()

    value, grads = jax.jit(jax.value_and_grad(loss))(state)
    return value, jax.tree.leaves(grads)


def test_remat_gives_identical_loss_and_gradients():
    plain_loss, plain_grads = _loss_and_grads({})
    remat_loss, remat_grads = _loss_and_grads({"remat": True})
    np.testing.assert_allclose(remat_loss, plain_loss, rtol=1e-6)
    for a, b in zip(plain_grads, remat_grads):
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert any(float(jnp.abs(g).max()) > 0 for g in plain_grads)


def test_bfloat16_matmuls_return_float32_logits_close_to_float32():
    graphdef, state = nnx.split(tiny_model("qwen2", seed=6))
    reference = logits_fn(graphdef, state, TOKENS)
    bf16_graphdef, bf16_state = nnx.split(tiny_model("qwen2", seed=6, dtype="bfloat16", param_dtype="bfloat16"))
    low = logits_fn(bf16_graphdef, bf16_state, TOKENS)
    assert low.dtype == jnp.float32
    assert float(jnp.abs(low - reference).max()) < 0.05 * float(jnp.abs(reference).max())


def test_trailing_padding_does_not_change_earlier_logits():
    graphdef, state = nnx.split(tiny_model("qwen3", seed=7))
    short = logits_fn(graphdef, state, TOKENS[:, :10])
    padded = logits_fn(graphdef, state, TOKENS.at[:, 10:].set(0))
    np.testing.assert_allclose(padded[:, :10], short, atol=1e-5)


def test_config_reads_rope_parameters_and_hashes():
    hf = dict(model_type="llama", vocab_size=10, hidden_size=8, intermediate_size=16, num_hidden_layers=1,
              num_attention_heads=2, num_key_value_heads=1,
              rope_parameters={"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0,
                               "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                               "original_max_position_embeddings": 64})
    config = ModelConfig.from_hf_config(hf)
    assert config.rope_theta == 500000.0
    assert config.rope_scaling["rope_type"] == "llama3" and "rope_theta" not in config.rope_scaling
    assert hash(config) == hash(config.replace()) and hash(config) != hash(config.replace(rope_scaling=None))
    assert tiny_config("qwen2").qkv_bias and tiny_config("qwen3").qk_norm


def test_layer_parameters_are_stored_stacked_with_a_layers_axis():
    model = tiny_model("qwen3", num_layers=3)
    config = model.config
    _, state = nnx.split(model)
    layer_params = [(path, variable) for path, variable in nnx.to_flat_state(state) if path[0] == "layers"]
    assert layer_params
    for path, variable in layer_params:
        assert variable.shape[0] == 3, path
        assert variable.get_metadata()["logical_axes"][0] == "layers", path
        assert len(variable.get_metadata()["logical_axes"]) == len(variable.shape), path
    assert model.layers.self_attn.q_proj.shape == (3, config.hidden_size, config.num_heads, config.head_dim)


def test_stacked_layers_hold_the_layers_built_in_order():
    from rl.models.layer_stack import LAYER_AXIS, stacked_layers
    from rl.models.layers import DecoderLayer

    config = tiny_config("qwen2")
    stack = nnx.state(stacked_layers(config, rngs=nnx.Rngs(3)))
    rngs = nnx.Rngs(3)
    built = [nnx.state(DecoderLayer(config, rngs=rngs)) for _ in range(config.num_layers)]
    stacked_leaves = jax.tree.leaves(stack, is_leaf=lambda x: isinstance(x, nnx.Variable))
    assert stacked_leaves
    for index, variable in enumerate(stacked_leaves):
        assert variable.get_metadata()["logical_axes"][0] == LAYER_AXIS
        assert variable.get_value().shape[0] == config.num_layers
        for layer, state in enumerate(built):
            one = jax.tree.leaves(state, is_leaf=lambda x: isinstance(x, nnx.Variable))[index]
            np.testing.assert_array_equal(variable.get_value()[layer], one.get_value())
