"""How one model role's requests are sampled (`Sampling`, from a `teacher`/`student` config
section or the trainer's rollout settings), and request seeds that are the same on every
rerun of the same attempt."""
from __future__ import annotations

import dataclasses
import hashlib

import ml_collections

from rl.generation.types import GenerationRequest


@dataclasses.dataclass(frozen=True)
class Sampling:
    """Request defaults for one model role (from the `teacher`/`student` config sections)."""

    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    max_new_tokens: int = 512
    reasoning_effort: str = ""
    response_prefix: str = ""
    constrained: bool = False   # teacher replies decoded under the environment's skeleton
    tail_max_new_tokens: int = 0  # constrained: the tail's limit (input and message blocks); 0: max_new_tokens

    @classmethod
    def from_config(cls, section: ml_collections.ConfigDict) -> "Sampling":
        return cls(temperature=float(section.temperature), top_p=float(section.top_p), top_k=int(section.top_k),
                   max_new_tokens=int(section.max_new_tokens),
                   reasoning_effort=str(section.get("reasoning_effort", "") or ""),
                   response_prefix=str(section.get("response_prefix", "") or ""),
                   constrained=bool(section.get("constrained", False)),
                   tail_max_new_tokens=int(section.get("tail_max_new_tokens", 0) or 0))

    def request(self, messages, n: int, seed: int) -> GenerationRequest:
        extra = {"reasoning_effort": self.reasoning_effort} if self.reasoning_effort else {}
        return GenerationRequest(messages=tuple(messages), n=n, max_new_tokens=self.max_new_tokens,
                                 temperature=self.temperature, top_p=self.top_p, top_k=self.top_k, seed=seed,
                                 extra=extra, response_prefix=self.response_prefix)


def stable_seed(*parts: str) -> int:
    """A request seed that is the same on every rerun of the same attempt."""
    return int.from_bytes(hashlib.sha256("\x00".join(parts).encode()).digest()[:4], "little")
