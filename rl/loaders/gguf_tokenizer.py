"""Building the tokenizer a GGUF file describes (`tokenizer.ggml.*` metadata: a GPT-2-style
byte-level BPE vocabulary and merges) as a `tokenizers` tokenizer with the pre-tokenizer of
the model family named by `tokenizer.ggml.pre`, plus its special tokens and chat template."""
from __future__ import annotations

from tokenizers import AddedToken, Regex, decoders, models, normalizers, pre_tokenizers, processors
import tokenizers

from rl.loaders.errors import CheckpointError
from rl.loaders.gguf_file import GgufMetadata
from rl.loaders.tokenizer import Tokenizer

# gguf token types
_NORMAL, _UNKNOWN, _CONTROL, _USER_DEFINED, _UNUSED, _BYTE = 1, 2, 3, 4, 5, 6

# The split patterns of the families' published tokenizer.json files (Qwen2: single digits;
# Llama 3: digit runs of up to three).
_QWEN2_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
_LLAMA3_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
_PRE_TOKENIZERS = {"qwen2": (_QWEN2_SPLIT, True), "llama-bpe": (_LLAMA3_SPLIT, False)}

# Control tokens that end a turn in the supported families, stop ids beside the metadata's eos.
_END_OF_TURN_TOKENS = ("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|eom_id|>", "<|end_of_text|>")


def tokenizer_from_gguf(metadata: GgufMetadata) -> Tokenizer:
    """The tokenizer stored in a GGUF file's metadata."""
    model_kind = metadata.require("tokenizer.ggml.model")
    pre = metadata.get("tokenizer.ggml.pre", "default")
    if model_kind != "gpt2" or pre not in _PRE_TOKENIZERS:
        raise CheckpointError(
            f"GGUF file {metadata.path} has tokenizer {model_kind!r} with pre-tokenizer {pre!r}; supported: "
            + ", ".join(f"gpt2/{name}" for name in _PRE_TOKENIZERS)
        )
    tokens = list(metadata.require("tokenizer.ggml.tokens"))
    token_types = list(metadata.get("tokenizer.ggml.token_type", [_NORMAL] * len(tokens)))
    merges = [tuple(merge.split(" ", 1)) for merge in metadata.require("tokenizer.ggml.merges")]
    vocabulary = {token: index for index, (token, kind) in enumerate(zip(tokens, token_types)) if kind != _UNUSED}

    backend = tokenizers.Tokenizer(models.BPE(vocab=vocabulary, merges=merges, ignore_merges=False))
    split_pattern, nfc = _PRE_TOKENIZERS[pre]
    if nfc:
        backend.normalizer = normalizers.NFC()
    backend.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(split_pattern), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
    ])
    backend.decoder = decoders.ByteLevel()
    # Control tokens are special (skipped when decoding); user-defined ones (e.g. <tool_call>) are not.
    backend.add_special_tokens([
        AddedToken(token, special=True, normalized=False)
        for token, kind in zip(tokens, token_types) if kind == _CONTROL
    ])
    backend.add_tokens([
        AddedToken(token, special=False, normalized=False)
        for token, kind in zip(tokens, token_types) if kind == _USER_DEFINED
    ])

    def token_at(key: str):
        index = metadata.get(key)
        return None if index is None else tokens[int(index)]

    bos_token = token_at("tokenizer.ggml.bos_token_id")
    add_bos = bool(metadata.get("tokenizer.ggml.add_bos_token", False)) and bos_token is not None
    if add_bos:
        backend.post_processor = processors.TemplateProcessing(
            single=f"{bos_token} $A", pair=f"{bos_token} $A {bos_token} $B",
            special_tokens=[(bos_token, vocabulary[bos_token])],
        )
    else:
        backend.post_processor = processors.ByteLevel(trim_offsets=False)

    stop_ids = [int(metadata.get(key)) for key in ("tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id")
                if metadata.get(key) is not None]
    control = {token: index for index, (token, kind) in enumerate(zip(tokens, token_types)) if kind == _CONTROL}
    stop_ids += [control[token] for token in _END_OF_TURN_TOKENS if token in control]
    return Tokenizer(
        backend,
        chat_template=metadata.get("tokenizer.chat_template"),
        bos_token=bos_token,
        eos_token=token_at("tokenizer.ggml.eos_token_id"),
        pad_token=token_at("tokenizer.ggml.padding_token_id"),
        extra_stop_token_ids=stop_ids,
    )
