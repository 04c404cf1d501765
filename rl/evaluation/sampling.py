"""Sampling the policy's answers to evaluation items through the text-generation interface.

`EvalSampling` is the evaluation's protocol: n samples per problem, problems per batch and
the evaluation seed, around the requests' settings (a `rl.generation.sampling.Sampling`:
temperature, top-p, token limit). n = 1 is greedy (temperature 0), the paper's pass@1
protocol. Each problem's request carries its own seed, derived from the evaluation seed and
the problem's position, so a rerun samples the same answers.
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

import ml_collections

from rl.evaluation.benchmark import EvalItem
from rl.generation.sampling import Sampling
from rl.generation.types import Completion, GenerationRequest, TextGenerator


@dataclasses.dataclass(frozen=True)
class EvalSampling:
    """n samples per problem, the requests' settings, problems per batch, seed."""

    num_samples: int = 1
    sampling: Sampling = Sampling(temperature=0.0)
    batch_size: int = 8
    seed: int = 0

    def __post_init__(self):
        if self.num_samples < 1:
            raise ValueError(f"eval.num_samples must be >= 1, got {self.num_samples}")
        if self.batch_size < 1:
            raise ValueError(f"eval.batch_size must be >= 1, got {self.batch_size}")
        if self.num_samples > 1 and self.sampling.temperature <= 0.0:
            raise ValueError(f"eval.num_samples={self.num_samples} needs eval.temperature > 0 "
                             "(greedy decoding gives n identical samples); set eval.temperature, "
                             "e.g. 0.6, or eval.num_samples=1")

    @property
    def effective(self) -> Sampling:
        """The settings requests carry: greedy (temperature 0, top-p 1) when n = 1."""
        if self.num_samples == 1:
            return dataclasses.replace(self.sampling, temperature=0.0, top_p=1.0)
        return self.sampling

    def to_dict(self) -> dict:
        """The settings as the evaluation results record them."""
        return {"num_samples": self.num_samples, "temperature": self.sampling.temperature,
                "top_p": self.sampling.top_p, "max_new_tokens": self.sampling.max_new_tokens,
                "batch_size": self.batch_size, "seed": self.seed}

    @classmethod
    def from_config(cls, config: ml_collections.ConfigDict) -> "EvalSampling":
        """From the `eval` section."""
        return cls(num_samples=config.num_samples, sampling=Sampling.from_config(config),
                   batch_size=config.batch_size, seed=config.seed)


def request_for(item: EvalItem, position: int, settings: EvalSampling) -> GenerationRequest:
    """The generation request for one item at `position` in its benchmark."""
    return settings.effective.request(item.messages, settings.num_samples, settings.seed * 1_000_003 + position,
                                      stop=item.stop)


def sample_answers(generator: TextGenerator, items: Sequence[EvalItem], first_position: int,
                   settings: EvalSampling) -> list[list[Completion]]:
    """The n completions for each item, in one generator call."""
    requests = [request_for(item, first_position + offset, settings) for offset, item in enumerate(items)]
    results = generator.generate(requests)
    if len(results) != len(requests):
        raise RuntimeError(f"the generator returned {len(results)} results for {len(requests)} requests")
    return [list(result.completions) for result in results]
