"""Shared pieces for the JetStream tests: a tiny random model wrapped in a ModelEngine
with the byte-level test tokenizer."""
from __future__ import annotations

import numpy as np

from rl.jetstream.engine import ModelEngine
from rl.jetstream.request_sampling import RequestSampling
from rl.jetstream.tokenizer_adapter import JetStreamTokenizer
from tests.fixtures.byte_tokenizer import byte_tokenizer
from tests.fixtures.tiny_model import tiny_model


def tiny_engine(slots=4, max_prefill_length=16, max_cache_length=48, tokenizer=None, **sampling):
    model = tiny_model("qwen2", seed=0)
    return ModelEngine(
        model, JetStreamTokenizer(tokenizer or byte_tokenizer(), name="tiny"),
        slots=slots, max_prefill_length=max_prefill_length, max_cache_length=max_cache_length,
        default_sampling=RequestSampling(**sampling))


def padded(tokens, length=16, pad=0):
    return np.asarray(list(tokens) + [pad] * (length - len(tokens)), np.int32)
