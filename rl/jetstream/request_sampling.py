"""Per-request sampling settings carried to a JetStream server as gRPC metadata.

JetStream 0.2.2's DecodeRequest has no sampling fields (only max_tokens and the
content), so the client sends temperature, top-p, top-k, seed, the sample index and the
structured-decoding constraint (a regex, "" for none) as call metadata; our servicer reads
them and our engine samples each slot with its own settings. A request without them gets
the server's defaults. Text fields travel as ASCII Python literals (gRPC metadata values
are ASCII), numbers as their repr.
"""
from __future__ import annotations

import ast
import dataclasses
from typing import Iterable, Mapping

from rl.sampling.token_selection import check_sampling_values

_PREFIX = "x-sampling-"


@dataclasses.dataclass(frozen=True)
class RequestSampling:
    """How one request's tokens are drawn: temperature 0 is greedy; top_k 0 is off.

    Token t of a request is drawn with a key derived only from (seed, sample_index, t),
    so a request gives the same tokens whatever else shares the batch.
    """

    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    seed: int = 0
    sample_index: int = 0
    constraint: str = ""   # a regex the reply must match (structured decoding); "" for none

    def __post_init__(self):
        check_sampling_values(self.temperature, self.top_p, self.top_k)

    def to_metadata(self) -> tuple[tuple[str, str], ...]:
        return tuple((_PREFIX + field.name.replace("_", "-"), _encode(getattr(self, field.name)))
                     for field in dataclasses.fields(self))

    @classmethod
    def from_metadata(cls, metadata: Iterable[tuple[str, str]] | None,
                      defaults: "RequestSampling") -> "RequestSampling":
        """Settings from call metadata, falling back field by field to `defaults`."""
        sent: Mapping[str, str] = {key: value for key, value in (metadata or ())
                                   if key.startswith(_PREFIX)}
        values = {}
        for field in dataclasses.fields(cls):
            text = sent.get(_PREFIX + field.name.replace("_", "-"))
            kind = type(getattr(defaults, field.name))
            values[field.name] = getattr(defaults, field.name) if text is None else _decode(kind, text)
        return cls(**values)


def _encode(value) -> str:
    return ascii(value) if isinstance(value, str) else repr(value)


def _decode(kind, text: str):
    if kind is str:
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            raise ValueError(f"sampling metadata {text[:60]!r} is not a quoted string") from None
        if not isinstance(value, str):
            raise ValueError(f"sampling metadata {text[:60]!r} is not a quoted string")
        return value
    return kind(text)
