"""The model's tokenizer as JetStream's `Tokenizer`, for the server side of text requests
and for the stop tokens that end a request.

The project's JetStream client tokenizes (with the model's chat template) and
detokenizes itself and sends token ids, so the server never decodes a BPE token on its
own (which would split multi-byte characters); text requests from other JetStream
clients are encoded here.
"""
from __future__ import annotations

from typing import Any

import rl.jetstream.compat  # noqa: F401  (must precede the jetstream imports)

import numpy as np
from jetstream.engine import token_utils, tokenizer_api

from rl.loaders.tokenizer import Tokenizer


class JetStreamTokenizer(tokenizer_api.Tokenizer):
    """Wraps `rl.loaders.tokenizer.Tokenizer`; generation ends at its stop ids only."""

    def __init__(self, tokenizer: Tokenizer, name: str = "model"):
        self.tokenizer = tokenizer
        self.name = name

    def encode(self, s: str, **kwargs: Any):
        """Token ids of `s` padded to JetStream's next bucket: (padded ids, true length).

        A BOS, where the model uses one, is added by the tokenizer itself, never by JetStream.
        """
        ids = np.asarray(self.tokenizer.encode(s), np.int32)
        return token_utils.pad_tokens(
            ids, self.bos_id, self.pad_id, is_bos=False,
            max_prefill_length=kwargs.get("max_prefill_length"),
            jax_padding=kwargs.get("jax_padding", True))

    def decode(self, token_ids: list[int], **kwargs: Any) -> str:
        return self.tokenizer.decode(token_ids)

    @property
    def pad_id(self) -> int:
        return self.tokenizer.pad_token_id

    @property
    def eos_id(self) -> int:
        stops = self.tokenizer.stop_token_ids
        return stops[0] if stops else -1

    @property
    def bos_id(self) -> int:
        bos = self.tokenizer.bos_token_id
        return self.pad_id if bos is None else bos

    @property
    def stop_tokens(self) -> set[int]:
        # Not JetStream's default {eos, pad}: a pad id may be an ordinary token.
        return set(self.tokenizer.stop_token_ids)
