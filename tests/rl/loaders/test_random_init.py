"""`random-init:DIR`: random weights in the shape DIR's config.json gives, through the one
loader entry point, that build a working model; bad folders get a clear error."""
import json

import numpy as np
import pytest

from rl.loaders import CheckpointError, load_checkpoint
from rl.loaders.hf_directory import hf_config_dict
from rl.models.config import ModelConfig
from rl.models.hf_weights import expected_hf_shapes, model_from_hf_tensors

TINY = ModelConfig(architecture="qwen2", vocab_size=64, hidden_size=32, intermediate_size=48, num_layers=2,
                   num_heads=4, num_kv_heads=2, head_dim=8, qkv_bias=True, tie_word_embeddings=True)


@pytest.fixture
def skeleton(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(hf_config_dict(TINY)))
    return tmp_path


def test_random_init_has_every_tensor_of_the_config_and_builds_a_model(skeleton):
    loaded = load_checkpoint(f"random-init:{skeleton}")
    assert loaded.config == TINY
    assert loaded.tokenizer is None
    assert {name: value.shape for name, value in loaded.tensors.items()} == expected_hf_shapes(TINY)
    embedding = loaded.tensors["model.embed_tokens.weight"]
    assert 0.015 < float(embedding.std()) < 0.025
    assert np.all(loaded.tensors["model.norm.weight"] == 1.0)
    assert np.all(loaded.tensors["model.layers.0.self_attn.q_proj.bias"] == 0.0)
    model = model_from_hf_tensors(TINY, loaded.tensors)
    logits = np.asarray(model(np.array([[1, 2, 3]]), positions=np.array([[0, 1, 2]])))
    assert logits.shape == (1, 3, TINY.vocab_size) and np.all(np.isfinite(logits))


def test_random_init_is_the_same_for_the_same_seed(skeleton):
    first = load_checkpoint(f"random-init:{skeleton}").tensors
    second = load_checkpoint(f"random-init:{skeleton}").tensors
    assert all(np.array_equal(first[name], second[name]) for name in first)
    assert not np.array_equal(first["model.layers.0.mlp.up_proj.weight"], first["model.layers.1.mlp.up_proj.weight"])


def test_random_init_without_config_says_what_is_missing(tmp_path):
    with pytest.raises(CheckpointError, match="no config.json"):
        load_checkpoint(f"random-init:{tmp_path}")
