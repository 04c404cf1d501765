"""Building the model from Hugging Face tensor names: every missing, mis-shaped or unexpected
tensor is named in one error; tied checkpoints may carry a redundant lm_head."""
import numpy as np
import pytest

from rl.models.config import ModelConfig
from rl.models.hf_weights import CheckpointMismatchError, expected_hf_shapes, model_from_hf_tensors
from tests.fixtures.tiny_model import tiny_config


def _random_tensors(config):
    rng = np.random.RandomState(0)
    return {name: rng.randn(*shape).astype(np.float32) for name, shape in expected_hf_shapes(config).items()}


def test_all_problems_are_named_in_one_error():
    config = tiny_config("qwen2")
    tensors = _random_tensors(config)
    del tensors["model.layers.1.mlp.up_proj.weight"]
    tensors["model.layers.0.self_attn.k_proj.bias"] = np.zeros((5,), np.float32)
    tensors["model.layers.7.mlp.up_proj.weight"] = np.zeros((2, 2), np.float32)
    with pytest.raises(CheckpointMismatchError) as error:
        model_from_hf_tensors(config, tensors)
    message = str(error.value)
    assert "model.layers.1.mlp.up_proj.weight" in message
    assert "model.layers.0.self_attn.k_proj.bias has shape (5,)" in message
    assert "model.layers.7.mlp.up_proj.weight" in message


def test_weights_land_in_our_layout():
    config = tiny_config("qwen3")
    tensors = _random_tensors(config)
    model = model_from_hf_tensors(config, tensors)
    q = tensors["model.layers.1.self_attn.q_proj.weight"]  # [heads * head_dim, hidden]
    ours = np.asarray(model.layers.self_attn.q_proj[...][1])  # [layers][hidden, heads, head_dim]
    np.testing.assert_array_equal(ours, q.T.reshape(config.hidden_size, config.num_heads, config.head_dim))
    np.testing.assert_array_equal(np.asarray(model.lm_head[...]), tensors["lm_head.weight"].T)


def test_tied_checkpoint_may_carry_lm_head_and_param_dtype_applies():
    config = tiny_config("qwen2", param_dtype="bfloat16")
    tensors = _random_tensors(config)
    tensors["lm_head.weight"] = tensors["model.embed_tokens.weight"]
    model = model_from_hf_tensors(config, tensors)
    assert not hasattr(model, "lm_head")
    assert model.embed_tokens[...].dtype == np.dtype("bfloat16") or str(model.embed_tokens[...].dtype) == "bfloat16"


def test_unknown_architecture_lists_supported_ones():
    with pytest.raises(ValueError, match="gpt2.*supported: llama, qwen2, qwen3"):
        ModelConfig.from_hf_config({"model_type": "gpt2"})
