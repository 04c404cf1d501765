"""Turning a problem into prompt token ids: the policy's chat messages, the chat template, the tokenizer.

The tokenizer is any object with `encode(text) -> list[int]`; the chat template is a
function from messages to text (the loaders supply the model's own). By default the
policy sees the problem's statement as one user message; the trainer passes the
environment's prompt renderer instead. Batches are padded on the right to the smallest
bucket length that fits (a handful of static shapes for jit); a prompt longer than
`max_prompt_tokens` keeps its last tokens (the template's assistant header) and is counted.
"""
from __future__ import annotations

from typing import Callable, Mapping, Protocol, Sequence

import numpy as np

from data_gen.records import Problem

ChatMessages = Sequence[Mapping[str, str]]


class Tokenizer(Protocol):
    def encode(self, text: str) -> list[int]: ...


def statement_as_user_message(problem: Problem) -> list[dict[str, str]]:
    return [{"role": "user", "content": problem.statement}]


class PromptEncoder:
    """Renders, tokenizes and pads prompts; one instance serves both input paths."""

    def __init__(self, tokenizer: Tokenizer, render_chat: Callable[[ChatMessages], str],
                 prompt_messages: Callable[[Problem], ChatMessages] = statement_as_user_message,
                 max_prompt_tokens: int = 1024, bucket_boundaries: Sequence[int] = (128, 256, 512, 1024),
                 pad_id: int = 0):
        if max_prompt_tokens < 1:
            raise ValueError(f"curriculum.max_prompt_tokens must be >= 1, got {max_prompt_tokens}")
        boundaries = sorted({int(b) for b in bucket_boundaries if 0 < int(b) < max_prompt_tokens})
        self.bucket_boundaries = tuple(boundaries) + (max_prompt_tokens,)
        self.tokenizer, self.render_chat, self.prompt_messages = tokenizer, render_chat, prompt_messages
        self.max_prompt_tokens, self.pad_id = max_prompt_tokens, pad_id
        self.truncated_prompts = 0

    def encode(self, problem: Problem) -> np.ndarray:
        ids = self.tokenizer.encode(self.render_chat(self.prompt_messages(problem)))
        if len(ids) > self.max_prompt_tokens:
            self.truncated_prompts += 1
            ids = ids[-self.max_prompt_tokens:]
        return np.asarray(ids, dtype=np.int32)

    def bucket_length(self, longest: int) -> int:
        for boundary in self.bucket_boundaries:
            if longest <= boundary:
                return boundary
        return self.bucket_boundaries[-1]

    def pad(self, sequences: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """[B, L] token ids and attention mask, L the bucket length of the longest prompt."""
        length = self.bucket_length(max((len(s) for s in sequences), default=1))
        token_ids = np.full((len(sequences), length), self.pad_id, dtype=np.int32)
        mask = np.zeros((len(sequences), length), dtype=np.int32)
        for index, sequence in enumerate(sequences):
            token_ids[index, :len(sequence)] = sequence
            mask[index, :len(sequence)] = 1
        return token_ids, mask
