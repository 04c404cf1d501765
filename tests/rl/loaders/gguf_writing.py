"""Test helper: write a tiny GGUF file from Hugging Face tensors, laid out as llama.cpp's
converter lays them out (reversed dims, permuted Llama Q/K rows), with a byte-level BPE
tokenizer in its metadata, so the GGUF loader can be checked against known tensors."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import gguf
import numpy as np

from rl.loaders.gguf_file import hf_tensor_name, permute_rotary_rows
from rl.models.config import ModelConfig
from tests.fixtures.byte_tokenizer import CHATML_TEMPLATE, byte_to_symbol

SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
# A few merges so the BPE does real work: "de"+"f", "re"+"turn", and the space-prefixed forms.
MERGES = ("d e", "de f", "r e", "t u", "r n", "tu rn", "re turn", "Ġ re", "Ġre turn")


def tokenizer_vocabulary(vocab_size: int) -> tuple[list[str], list[int]]:
    """Tokens and token types: 256 byte symbols, merge results, the ChatML specials, unused padding."""
    tokens = [byte_to_symbol()[byte] for byte in range(256)]
    for merge in MERGES:
        merged = merge.replace(" ", "")
        if merged not in tokens:
            tokens.append(merged)
    types = [gguf.TokenType.NORMAL] * len(tokens)
    tokens += list(SPECIAL_TOKENS)
    types += [gguf.TokenType.CONTROL] * len(SPECIAL_TOKENS)
    while len(tokens) < vocab_size:
        tokens.append(f"[PAD{len(tokens)}]")
        types.append(gguf.TokenType.UNUSED)
    return tokens, types


def _gguf_name(hf_name: str, layers: int) -> str:
    for candidate in ("token_embd.weight", "output_norm.weight", "output.weight"):
        if hf_tensor_name(candidate) == hf_name:
            return candidate
    for layer in range(layers):
        for suffix in ("attn_norm.weight", "ffn_norm.weight", "attn_q.weight", "attn_q.bias", "attn_k.weight",
                       "attn_k.bias", "attn_v.weight", "attn_v.bias", "attn_output.weight", "attn_q_norm.weight",
                       "attn_k_norm.weight", "ffn_gate.weight", "ffn_up.weight", "ffn_down.weight"):
            if hf_tensor_name(f"blk.{layer}.{suffix}") == hf_name:
                return f"blk.{layer}.{suffix}"
    raise KeyError(hf_name)


def write_tiny_gguf(path: Path, config: ModelConfig, tensors: dict[str, np.ndarray], *,
                    quantize_matrices: bool = False, architecture: Optional[str] = None,
                    rope_freqs: Optional[np.ndarray] = None, tokenizer_pre: str = "qwen2",
                    add_bos: bool = False) -> None:
    """Write `tensors` (HF names, [out, in]) as a GGUF; matrices as Q8_0 when `quantize_matrices`."""
    architecture = architecture or config.architecture
    writer = gguf.GGUFWriter(str(path), architecture)
    writer.add_block_count(config.num_layers)
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_heads)
    writer.add_head_count_kv(config.num_kv_heads)
    writer.add_key_length(config.head_dim)
    writer.add_value_length(config.head_dim)
    writer.add_rope_freq_base(config.rope_theta)
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    tokens, types = tokenizer_vocabulary(config.vocab_size)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(tokenizer_pre)
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(list(MERGES))
    writer.add_eos_token_id(tokens.index("<|im_end|>"))
    writer.add_bos_token_id(tokens.index("<|endoftext|>"))
    writer.add_pad_token_id(tokens.index("<|endoftext|>"))
    writer.add_add_bos_token(add_bos)
    writer.add_chat_template(CHATML_TEMPLATE)
    for hf_name, value in tensors.items():
        if hf_name == "lm_head.weight" and config.tie_word_embeddings:
            continue  # llama.cpp stores no output matrix for a tied model
        value = np.asarray(value, dtype=np.float32)
        if config.architecture == "llama" and hf_name.endswith("q_proj.weight"):
            value = permute_rotary_rows(value, config.num_heads)
        elif config.architecture == "llama" and hf_name.endswith("k_proj.weight"):
            value = permute_rotary_rows(value, config.num_kv_heads)
        name = _gguf_name(hf_name, config.num_layers)
        if quantize_matrices and value.ndim == 2:
            quantized = gguf.quants.quantize(value, gguf.GGMLQuantizationType.Q8_0)
            writer.add_tensor(name, quantized, raw_shape=quantized.shape, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
        else:
            writer.add_tensor(name, value)
    if rope_freqs is not None:
        writer.add_tensor("rope_freqs.weight", np.asarray(rope_freqs, np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
