"""Requests and results of the text-generation interface, and the protocol clients meet."""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping, Optional, Protocol, Sequence, runtime_checkable

FINISH_REASONS = ("stop", "length", "error")


@dataclasses.dataclass(frozen=True)
class Message:
    role: str  # "system" | "user" | "assistant"
    content: str


@dataclasses.dataclass(frozen=True)
class GenerationRequest:
    """Chat `messages` or a raw `prompt` (exactly one), and how to sample n completions.

    temperature 0 means greedy. `extra` passes through to the backend (e.g.
    {"reasoning_effort": "low"} for an OpenAI-compatible server). `response_prefix` (chat
    requests only) is text the assistant's reply is made to start with: it is placed after
    the chat template's generation prompt and the model continues it; completions do not
    repeat it (prepend it to read the whole reply). `constraint` is a regular expression the
    completion (the text after `response_prefix`) must match in full: structured decoding,
    enforced on the device by the in-process and JetStream backends and sent as the server's
    structured-output field by the OpenAI-compatible client; a reply cut by max_new_tokens is
    a prefix of a match with finish reason "length".
    """

    messages: Optional[tuple[Message, ...]] = None
    prompt: Optional[str] = None
    n: int = 1
    max_new_tokens: int = 256
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    stop: tuple[str, ...] = ()
    seed: int = 0
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    response_prefix: str = ""
    constraint: Optional[str] = None

    def __post_init__(self):
        if (self.messages is None) == (self.prompt is None):
            raise ValueError("a GenerationRequest needs exactly one of messages or prompt")
        if self.response_prefix and self.messages is None:
            raise ValueError("response_prefix applies to chat requests (messages); put it in the raw prompt instead")
        if self.n < 1:
            raise ValueError(f"n must be >= 1, got {self.n}")


@dataclasses.dataclass(frozen=True)
class Completion:
    """One sampled completion.

    `logprobs`, where a client returns them, are of the sampled tokens under the
    temperature-scaled full softmax (before top-p/top-k truncation).
    """

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str
    token_ids: Optional[tuple[int, ...]] = None
    logprobs: Optional[tuple[float, ...]] = None


@dataclasses.dataclass(frozen=True)
class GenerationResult:
    completions: tuple[Completion, ...]
    model: str = ""


@runtime_checkable
class TextGenerator(Protocol):
    """What every client implements."""

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]: ...

    async def agenerate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]: ...
