"""Sampling the policy's answers to evaluation items through the text-generation interface.

n samples per problem at the configured temperature; n = 1 is greedy (temperature 0), the
paper's pass@1 protocol. Each problem's request carries its own seed, derived from the
evaluation seed and the problem's position, so a rerun samples the same answers.
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

import ml_collections

from rl.evaluation.benchmark import EvalItem
from rl.generation.types import Completion, GenerationRequest, TextGenerator


@dataclasses.dataclass(frozen=True)
class SamplingSettings:
    """n samples per problem, temperature, top-p, token budget, problems per batch, seed."""

    num_samples: int = 1
    temperature: float = 0.0
    top_p: float = 1.0
    max_new_tokens: int = 512
    batch_size: int = 8
    seed: int = 0

    def __post_init__(self):
        if self.num_samples < 1:
            raise ValueError(f"eval.num_samples must be >= 1, got {self.num_samples}")
        if self.batch_size < 1:
            raise ValueError(f"eval.batch_size must be >= 1, got {self.batch_size}")
        if self.num_samples > 1 and self.temperature <= 0.0:
            raise ValueError(f"eval.num_samples={self.num_samples} needs eval.temperature > 0 "
                             "(greedy decoding gives n identical samples); set eval.temperature, "
                             "e.g. 0.6, or eval.num_samples=1")

    @property
    def effective_temperature(self) -> float:
        return 0.0 if self.num_samples == 1 else self.temperature

    @classmethod
    def from_config(cls, config: ml_collections.ConfigDict) -> "SamplingSettings":
        return cls(num_samples=config.num_samples, temperature=config.temperature, top_p=config.top_p,
                   max_new_tokens=config.max_new_tokens, batch_size=config.batch_size, seed=config.seed)


def request_for(item: EvalItem, position: int, settings: SamplingSettings) -> GenerationRequest:
    """The generation request for one item at `position` in its benchmark."""
    return GenerationRequest(
        messages=item.messages,
        n=settings.num_samples,
        max_new_tokens=settings.max_new_tokens,
        temperature=settings.effective_temperature,
        top_p=settings.top_p if settings.num_samples > 1 else 1.0,
        stop=item.stop,
        seed=settings.seed * 1_000_003 + position,
    )


def sample_answers(generator: TextGenerator, items: Sequence[EvalItem], first_position: int,
                   settings: SamplingSettings) -> list[list[Completion]]:
    """The n completions for each item, in one generator call."""
    requests = [request_for(item, first_position + offset, settings) for offset, item in enumerate(items)]
    results = generator.generate(requests)
    if len(results) != len(requests):
        raise RuntimeError(f"the generator returned {len(results)} results for {len(requests)} requests")
    return [list(result.completions) for result in results]
