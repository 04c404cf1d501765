"""The curriculum's settings as a frozen dataclass, read from the `curriculum` config section."""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping


def _parse_shares(text: str) -> dict[str, float]:
    shares = {}
    for item in text.split(","):
        if item.strip():
            try:
                name, value = item.split("=")
                shares[name.strip()] = float(value)
            except ValueError:
                raise ValueError(f"curriculum.budget_shares: cannot read {item!r}; write 'pool=share,pool=share'") from None
    return shares


@dataclasses.dataclass(frozen=True)
class CurriculumSettings:
    """See configs/sections/curriculum.py for what each field means in the paper's terms."""

    schedule: str = "uniform"
    total_steps: int = 1000
    prompts_per_step: int = 8
    seed: int = 0
    data_files: tuple[str, ...] = ()
    chain_files: tuple[str, ...] = ()
    only_chain_problems: bool = False
    split: str = "train"
    held_out_fraction: float = 0.1
    split_seed: int = 0
    pass_rate_range: tuple[float, ...] = ()   # (low, high): train only on problems whose pass rate lies in it
    band_family: str = ""
    custom_bin_edges: tuple[float, ...] = ()
    custom_bin_names: tuple[str, ...] = ()
    pool_kind: str = "provenance"
    pool_names: tuple[str, ...] = ("real", "synthetic")
    phases: str = ""
    budget: int = 0
    budget_shares: str = ""
    estimator: str = "beta"
    prior_strength: float = 2.0
    ema_rate: float = 0.3
    learnability_floor: float = 0.01
    walk_threshold: float = 0.7
    walk_min_trials: int = 16
    prefetch_batches: int = 2
    trainer_asynchrony: int = 0
    max_prompt_tokens: int = 1024
    bucket_boundaries: tuple[int, ...] = (128, 256, 512, 1024)
    backend: str = "tf"

    def __post_init__(self):
        for name in ("total_steps", "prompts_per_step"):
            if getattr(self, name) < 1:
                raise ValueError(f"curriculum.{name} must be >= 1, got {getattr(self, name)}")
        if self.prefetch_batches < 0 or self.trainer_asynchrony < 0:
            raise ValueError("curriculum.prefetch_batches and curriculum.trainer_asynchrony must be >= 0")
        if self.backend not in ("tf", "python"):
            raise ValueError(f"unknown curriculum.backend {self.backend!r}; valid: tf, python")

    @property
    def feedback_lag(self) -> int:
        """Steps between observe(step=k) and the first step it can change: prefetch + asynchrony + 1."""
        return self.prefetch_batches + self.trainer_asynchrony + 1

    @property
    def shares(self) -> dict[str, float]:
        return _parse_shares(self.budget_shares)

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> "CurriculumSettings":
        known = {f.name: f for f in dataclasses.fields(cls)}
        values = dict(section.to_dict() if hasattr(section, "to_dict") else section)
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"unknown curriculum config fields {unknown}; known: {', '.join(sorted(known))}")
        for name, value in values.items():
            if isinstance(value, list):
                values[name] = tuple(value)
        return cls(**values)

    def replace(self, **changes) -> "CurriculumSettings":
        return dataclasses.replace(self, **changes)
