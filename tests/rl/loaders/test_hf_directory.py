"""Loading Hugging Face safetensors directories written by transformers' save_pretrained:
single file and sharded, every supported family, and the errors a user can cause."""
import json

import numpy as np
import pytest

from rl.loaders import CheckpointError, load_checkpoint
from rl.loaders.hf_directory import hf_config_dict, load_hf_directory, read_model_config, write_hf_directory
from rl.loaders.safetensors_io import read_safetensors, write_safetensors
from rl.models.config import SUPPORTED_ARCHITECTURES, ModelConfig
from tests.fixtures.tiny_model import FAMILIES, tiny_hf_model


def _saved(family, directory, **save_kwargs):
    model, config = tiny_hf_model(family, seed=3)
    model.save_pretrained(str(directory), safe_serialization=True, **save_kwargs)
    return model, config


@pytest.mark.parametrize("family", FAMILIES)
def test_loads_every_family_with_the_tensors_transformers_saved(family, tmp_path):
    model, expected_config = _saved(family, tmp_path)
    config, tensors = load_hf_directory(tmp_path)
    assert config == expected_config
    state = {name: value.detach().numpy() for name, value in model.state_dict().items()}
    if config.tie_word_embeddings:
        assert "lm_head.weight" not in tensors
    for name, value in tensors.items():
        np.testing.assert_array_equal(value, state[name], err_msg=name)
    assert len(tensors) == len(state) - (1 if config.tie_word_embeddings else 0)


def test_sharded_checkpoint_equals_the_single_file_one(tmp_path):
    _saved("qwen3", tmp_path / "single")
    _saved("qwen3", tmp_path / "sharded", max_shard_size="40KB")
    index = json.loads((tmp_path / "sharded" / "model.safetensors.index.json").read_text())
    assert len(set(index["weight_map"].values())) > 1
    _, single = load_hf_directory(tmp_path / "single")
    _, sharded = load_hf_directory(tmp_path / "sharded")
    assert set(single) == set(sharded)
    for name in single:
        np.testing.assert_array_equal(single[name], sharded[name])


def test_missing_and_misshaped_tensors_are_named(tmp_path):
    _saved("qwen2", tmp_path)
    tensors = dict(read_safetensors(tmp_path / "model.safetensors"))
    del tensors["model.layers.1.mlp.up_proj.weight"]
    tensors["model.layers.0.self_attn.k_proj.weight"] = np.zeros((3, 64), np.float32)
    write_safetensors(tmp_path / "model.safetensors", {k: np.array(v) for k, v in tensors.items()})
    with pytest.raises(CheckpointError) as error:
        load_hf_directory(tmp_path)
    message = str(error.value)
    assert "missing tensors: model.layers.1.mlp.up_proj.weight" in message
    assert "model.layers.0.self_attn.k_proj.weight is (3, 64), expected (32, 64)" in message


def test_unknown_architecture_lists_the_supported_ones(tmp_path):
    _saved("qwen2", tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["model_type"] = "gpt_neox"
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError) as error:
        load_hf_directory(tmp_path)
    assert "gpt_neox" in str(error.value)
    assert all(name in str(error.value) for name in SUPPORTED_ARCHITECTURES)


def test_a_missing_shard_and_a_missing_weights_file_are_named(tmp_path):
    _saved("qwen3", tmp_path, max_shard_size="40KB")
    shard = sorted(tmp_path.glob("model-*.safetensors"))[0]
    shard.unlink()
    with pytest.raises(CheckpointError, match=shard.name):
        load_hf_directory(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "config.json").write_text((tmp_path / "config.json").read_text())
    with pytest.raises(CheckpointError, match="neither model.safetensors nor"):
        load_hf_directory(empty)


def test_written_directory_reads_back_as_the_same_config_and_tensors(tmp_path):
    model, config = tiny_hf_model("llama", seed=1)
    tensors = {name: value.detach().numpy() for name, value in model.state_dict().items()}
    write_hf_directory(tmp_path, config, tensors)
    assert read_model_config(tmp_path) == config
    assert ModelConfig.from_hf_config(hf_config_dict(config)) == config
    loaded = load_checkpoint(tmp_path)
    assert loaded.tokenizer is None and loaded.config == config
    for name, value in loaded.tensors.items():
        np.testing.assert_array_equal(value, tensors[name])


def test_a_source_that_is_nothing_loadable_says_what_is_accepted(tmp_path):
    with pytest.raises(CheckpointError, match="model pack name .*qwen2.5-coder-0.5b-instruct"):
        load_checkpoint(tmp_path / "nowhere")
