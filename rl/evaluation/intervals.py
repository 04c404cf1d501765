"""Confidence intervals for a benchmark score by bootstrap over problems.

The score is the mean of per-problem values (pass@k per problem); resampling problems
with replacement and taking percentiles of the resampled means gives the interval. The
resampling is seeded so that a report is reproducible.
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np


@dataclasses.dataclass(frozen=True)
class Interval:
    """A point estimate with the bounds of its confidence interval."""

    mean: float
    low: float
    high: float
    confidence: float

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def bootstrap_interval(
    per_problem: Sequence[float],
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> Interval:
    """Percentile bootstrap interval of the mean of `per_problem` values."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    if resamples < 1:
        raise ValueError(f"resamples must be >= 1, got {resamples}")
    values = np.asarray(per_problem, dtype=np.float64)
    if values.size == 0:
        raise ValueError("a bootstrap interval needs at least one problem")
    rng = np.random.default_rng(seed)
    indices = rng.integers(0, values.size, size=(resamples, values.size))
    means = values[indices].mean(axis=1)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return Interval(mean=float(values.mean()), low=float(low), high=float(high), confidence=confidence)

