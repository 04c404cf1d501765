"""The GGUF loader against known tensors: tiny models written as llama.cpp lays them out
(Q8_0 or F32), Llama's Q/K row permutation and RoPE-scaling check, the tokenizer stored in
the metadata, and parity with transformers reading the same GGUF."""
import numpy as np
import pytest

from rl.loaders import CheckpointError, load_checkpoint
from rl.loaders.gguf_file import (
    LLAMA31_ROPE_SCALING, llama3_rope_frequency_factors, load_gguf, open_gguf, permute_rotary_rows,
    unpermute_rotary_rows,
)
from rl.loaders.gguf_tokenizer import tokenizer_from_gguf
from tests.fixtures.tiny_model import tiny_hf_model
from tests.rl.loaders.gguf_writing import write_tiny_gguf


def _state(model):
    return {name: value.detach().numpy() for name, value in model.state_dict().items()}


@pytest.mark.parametrize("family", ["qwen2", "qwen3"])
def test_f32_gguf_gives_back_the_exact_tensors(family, tmp_path):
    model, config = tiny_hf_model(family, seed=1)
    state = _state(model)
    write_tiny_gguf(tmp_path / "m.gguf", config, state)
    loaded_config, tensors = load_gguf(tmp_path / "m.gguf")
    assert loaded_config == config
    assert set(tensors) == set(state) - ({"lm_head.weight"} if config.tie_word_embeddings else set())
    for name, value in tensors.items():
        assert value.dtype == np.float32
        np.testing.assert_array_equal(value, state[name], err_msg=name)


def test_q8_quantised_matrices_dequantise_within_the_quantisation_step(tmp_path):
    model, config = tiny_hf_model("qwen3", seed=2)
    state = _state(model)
    write_tiny_gguf(tmp_path / "m.gguf", config, state, quantize_matrices=True)
    _, tensors = load_gguf(tmp_path / "m.gguf")
    for name, value in tensors.items():
        if value.ndim == 2:
            # Q8_0: blocks of 32 scaled by max|x|/127, so the error is half a step, plus up to
            # 127 * 2^-11 steps from storing that scale in float16.
            step = np.abs(state[name]).max() / 127
            assert np.abs(value - state[name]).max() <= (0.5 + 127 * 2.0**-11) * step, name
            assert not np.array_equal(value, state[name])


def test_a_stored_output_matrix_is_kept_by_default_and_dropped_when_tying(tmp_path):
    model, config = tiny_hf_model("qwen2", seed=1)
    state = _state(model)
    state["lm_head.weight"] = state["lm_head.weight"] + 1.0  # a separately stored head, distinguishable
    write_tiny_gguf(tmp_path / "m.gguf", config.replace(tie_word_embeddings=False), state)
    as_stored_config, as_stored = load_gguf(tmp_path / "m.gguf")
    assert not as_stored_config.tie_word_embeddings
    np.testing.assert_array_equal(as_stored["lm_head.weight"], state["lm_head.weight"])
    tied_config, tied = load_gguf(tmp_path / "m.gguf", tie_word_embeddings=True)
    assert tied_config.tie_word_embeddings and "lm_head.weight" not in tied


def test_llama_rows_are_unpermuted_and_rope_scaling_recovered(tmp_path):
    model, config = tiny_hf_model("llama", seed=4, rope_scaling=dict(LLAMA31_ROPE_SCALING))
    state = _state(model)
    factors = llama3_rope_frequency_factors(config.head_dim, config.rope_theta, LLAMA31_ROPE_SCALING)
    write_tiny_gguf(tmp_path / "m.gguf", config, state, rope_freqs=factors)
    loaded_config, tensors = load_gguf(tmp_path / "m.gguf")
    assert loaded_config.rope_scaling == LLAMA31_ROPE_SCALING
    assert loaded_config.replace(rope_scaling=None) == config.replace(rope_scaling=None)
    for name in ("model.layers.0.self_attn.q_proj.weight", "model.layers.1.self_attn.k_proj.weight"):
        np.testing.assert_array_equal(tensors[name], state[name])


def test_llama_rope_factors_that_are_not_llama31_are_refused(tmp_path):
    model, config = tiny_hf_model("llama", seed=4)
    write_tiny_gguf(tmp_path / "m.gguf", config, _state(model), rope_freqs=np.full(config.head_dim // 2, 3.0))
    with pytest.raises(CheckpointError, match="not Llama 3.1's scaling"):
        load_gguf(tmp_path / "m.gguf")


def test_permutation_round_trips_and_actually_moves_rows():
    weight = np.arange(8 * 16 * 3, dtype=np.float32).reshape(8 * 16, 3)
    permuted = permute_rotary_rows(weight, num_heads=8)
    assert not np.array_equal(permuted, weight)
    np.testing.assert_array_equal(unpermute_rotary_rows(permuted, num_heads=8), weight)
    # Within a head, row pairs interleave the two rotary halves: rows (0, 8) become (0, 1).
    np.testing.assert_array_equal(permuted[1], weight[8])


def test_unknown_gguf_architecture_lists_the_supported_ones(tmp_path):
    model, config = tiny_hf_model("qwen3", seed=1)
    write_tiny_gguf(tmp_path / "m.gguf", config, _state(model), architecture="phi3")
    with pytest.raises(CheckpointError, match=r"unsupported architecture 'phi3'; supported: qwen2, qwen3, llama"):
        load_gguf(tmp_path / "m.gguf")


def test_a_file_that_is_not_gguf_is_named(tmp_path):
    (tmp_path / "junk.gguf").write_bytes(b"not a gguf file at all" * 10)
    with pytest.raises(CheckpointError, match="junk.gguf is not a readable GGUF file"):
        load_gguf(tmp_path / "junk.gguf")


def test_tokenizer_model_and_chat_template_match_transformers_reading_the_same_gguf(tmp_path):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model, config = tiny_hf_model("qwen2", seed=5)
    write_tiny_gguf(tmp_path / "m.gguf", config, _state(model))
    loaded = load_checkpoint(tmp_path / "m.gguf")
    reference_tokenizer = AutoTokenizer.from_pretrained(str(tmp_path), gguf_file="m.gguf")
    texts = ["def f():\n    return 1  # héllo wörld", "<|im_start|>user x<|im_end|>", "return returned  return\n\n"]
    for text in texts:
        ids = loaded.tokenizer.encode(text)
        assert ids == reference_tokenizer.encode(text)
        assert loaded.tokenizer.decode(ids) == reference_tokenizer.decode(ids, skip_special_tokens=True)
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Write f."}]
    assert loaded.tokenizer.apply_chat_template(messages) == reference_tokenizer.apply_chat_template(
        messages, tokenize=False, add_generation_prompt=True)
    assert loaded.tokenizer.stop_token_ids == (reference_tokenizer.convert_tokens_to_ids("<|im_end|>"),
                                               reference_tokenizer.convert_tokens_to_ids("<|endoftext|>"))
    reference_model = AutoModelForCausalLM.from_pretrained(str(tmp_path), gguf_file="m.gguf")
    reference_state = _state(reference_model)
    for name, value in loaded.tensors.items():
        np.testing.assert_array_equal(value, reference_state[name], err_msg=name)
    assert torch.equal(reference_model(torch.tensor([[1, 2, 3]])).logits, model(torch.tensor([[1, 2, 3]])).logits)


def test_llama_bpe_tokenizer_adds_bos_as_transformers_does(tmp_path):
    from transformers import AutoTokenizer

    model, config = tiny_hf_model("llama", seed=6)
    write_tiny_gguf(tmp_path / "m.gguf", config.replace(rope_scaling=None), _state(model),
                    tokenizer_pre="llama-bpe", add_bos=True)
    ours = tokenizer_from_gguf(open_gguf(tmp_path / "m.gguf")[1])
    reference = AutoTokenizer.from_pretrained(str(tmp_path), gguf_file="m.gguf")
    for text in ["def f():\n    return 12345  # héllo", "<|im_start|>user x<|im_end|>"]:
        ids = ours.encode(text)
        assert ids[0] == ours.bos_token_id and ids == reference.encode(text)
        assert ours.encode(text, add_special_tokens=False) == ids[1:]


def test_an_unsupported_pre_tokenizer_lists_the_supported_ones(tmp_path):
    model, config = tiny_hf_model("qwen3", seed=1)
    write_tiny_gguf(tmp_path / "m.gguf", config, _state(model), tokenizer_pre="falcon")
    with pytest.raises(CheckpointError, match="pre-tokenizer 'falcon'; supported: gpt2/qwen2, gpt2/llama-bpe"):
        tokenizer_from_gguf(open_gguf(tmp_path / "m.gguf")[1])
