"""Aggregation of one score over several training seeds: mean, spread and interval.

The paper reports means over 3 seeds. With so few seeds a bootstrap is meaningless, so
the interval is Student's t interval of the mean (and collapses to the value for 1 seed).
"""
from __future__ import annotations

import dataclasses
import math
from typing import Sequence


@dataclasses.dataclass(frozen=True)
class SeedAggregate:
    """A score over seeds: mean, sample standard deviation, t-interval, and the values."""

    mean: float
    std: float
    low: float
    high: float
    confidence: float
    values: tuple[float, ...]

    def to_dict(self) -> dict:
        return {**dataclasses.asdict(self), "values": list(self.values)}


def aggregate_over_seeds(values: Sequence[float], confidence: float = 0.95) -> SeedAggregate:
    """Mean, sample std (ddof=1) and Student-t interval of one score over seeds."""
    values = tuple(float(v) for v in values)
    if not values:
        raise ValueError("aggregate_over_seeds needs at least one seed's value")
    count = len(values)
    mean = sum(values) / count
    if count == 1:
        return SeedAggregate(mean, 0.0, mean, mean, confidence, values)
    from scipy import stats  # imported here: scipy.stats costs seconds and only this needs it

    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (count - 1))
    half_width = stats.t.ppf(0.5 + confidence / 2.0, df=count - 1) * std / math.sqrt(count)
    return SeedAggregate(mean, std, mean - half_width, mean + half_width, confidence, values)
