"""The one request-level sampling type, `Sampling`: how a role's requests are sampled
(temperature, top-p, top-k, token limit and the per-backend extras), read from a config
section and turned into `GenerationRequest`s. The teacher, the student, the trainer's
rollouts and the evaluation all hold their request settings as a `Sampling`.

Two other forms of the same values stay where their layer needs them: the device-side
per-row arrays inside the jitted decode loop (`rl.sampling.token_selection.SamplingSettings`)
and the per-sample gRPC metadata a JetStream server reads
(`rl.jetstream.request_sampling.RequestSampling`). All three check their ranges with
`rl.sampling.token_selection.check_sampling_values`.
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

import ml_collections

from rl.generation.types import GenerationRequest, Message
from rl.sampling.token_selection import check_sampling_values


@dataclasses.dataclass(frozen=True)
class Sampling:
    """Request defaults for one model role: temperature 0 is greedy, top_k 0 is off.

    `reasoning_effort` ("" to omit) goes to the backend in the request's `extra`;
    `response_prefix` starts every reply; `constrained` says the caller decodes the role's
    replies under a constraint it supplies (the data pipeline's teacher: the environment's
    skeleton), whose tail takes `tail_tokens_per_block` for each of its input and message
    blocks (0: `max_new_tokens` for the whole tail).
    """

    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    max_new_tokens: int = 512
    reasoning_effort: str = ""
    response_prefix: str = ""
    constrained: bool = False
    tail_tokens_per_block: int = 0

    def __post_init__(self):
        check_sampling_values(self.temperature, self.top_p, self.top_k)

    @classmethod
    def from_config(cls, section: ml_collections.ConfigDict) -> "Sampling":
        """From a `teacher`/`student` section, or the `train` section's rollout fields (fields
        absent from the section keep their default)."""
        return cls(temperature=float(section.temperature), top_p=float(section.top_p),
                   top_k=int(section.get("top_k", 0) or 0),
                   max_new_tokens=int(section.max_new_tokens),
                   reasoning_effort=str(section.get("reasoning_effort", "") or ""),
                   response_prefix=str(section.get("response_prefix", "") or ""),
                   constrained=bool(section.get("constrained", False)),
                   tail_tokens_per_block=int(section.get("tail_tokens_per_block", 0) or 0))

    def request(self, messages: Sequence[Message], n: int, seed: int,
                stop: tuple[str, ...] = ()) -> GenerationRequest:
        """A chat request for n completions under these settings."""
        extra = {"reasoning_effort": self.reasoning_effort} if self.reasoning_effort else {}
        return GenerationRequest(messages=tuple(messages), n=n, max_new_tokens=self.max_new_tokens,
                                 temperature=self.temperature, top_p=self.top_p, top_k=self.top_k, seed=seed,
                                 stop=stop, extra=extra, response_prefix=self.response_prefix)
