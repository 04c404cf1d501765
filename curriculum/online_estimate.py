"""Online pass-rate estimates per problem, updated from the trainer's rollouts.

Two estimators, chosen in the config: a Beta posterior (prior centred on the student's
pass rate with `prior_strength` pseudo-trials, updated by conjugate counts) and an
exponential moving average of each observation's mean reward. Both keep the number of
online trials, so consumers can require evidence before acting (the chain walk does).
"""
from __future__ import annotations

from typing import Mapping, Optional, Sequence

import numpy as np

ESTIMATORS = ("beta", "ema")


class OnlinePassRate:
    """Per-problem pass-rate estimates over the rows of a catalog."""

    def __init__(self, prior_pass_rates: Sequence[Optional[float]], estimator: str = "beta",
                 prior_strength: float = 2.0, ema_rate: float = 0.3):
        if estimator not in ESTIMATORS:
            raise ValueError(f"unknown curriculum.estimator {estimator!r}; valid: {', '.join(ESTIMATORS)}")
        if prior_strength <= 0:
            raise ValueError(f"curriculum.prior_strength must be > 0, got {prior_strength}")
        if not 0 < ema_rate <= 1:
            raise ValueError(f"curriculum.ema_rate must be in (0, 1], got {ema_rate}")
        prior = np.array([0.5 if p is None else p for p in prior_pass_rates], dtype=np.float64)
        self.estimator = estimator
        self.ema_rate = float(ema_rate)
        self.successes = prior * prior_strength      # Beta alpha
        self.failures = (1.0 - prior) * prior_strength  # Beta beta
        self.ema = prior.copy()
        self.trials = np.zeros(len(prior), dtype=np.int64)

    def update(self, row: int, passes: float, trials: int) -> None:
        """Fold in one observation: `passes` successes out of `trials` rollouts of problem `row`."""
        if trials <= 0:
            return
        self.successes[row] += passes
        self.failures[row] += trials - passes
        self.ema[row] += self.ema_rate * (passes / trials - self.ema[row])
        self.trials[row] += trials

    def mean(self) -> np.ndarray:
        """The current estimate of every problem's pass rate."""
        if self.estimator == "ema":
            return self.ema
        return self.successes / (self.successes + self.failures)

    def state_dict(self) -> dict:
        return {"successes": self.successes.tolist(), "failures": self.failures.tolist(),
                "ema": self.ema.tolist(), "trials": self.trials.tolist()}

    def load_state_dict(self, state: Mapping) -> None:
        self.successes = np.array(state["successes"], dtype=np.float64)
        self.failures = np.array(state["failures"], dtype=np.float64)
        self.ema = np.array(state["ema"], dtype=np.float64)
        self.trials = np.array(state["trials"], dtype=np.int64)

    def copy(self) -> "OnlinePassRate":
        clone = object.__new__(OnlinePassRate)
        clone.estimator, clone.ema_rate = self.estimator, self.ema_rate
        clone.successes, clone.failures = self.successes.copy(), self.failures.copy()
        clone.ema, clone.trials = self.ema.copy(), self.trials.copy()
        return clone


def learnability(pass_rate: np.ndarray, floor: float) -> np.ndarray:
    """p(1-p), floored so no problem's weight reaches zero (solved and unsolved ones keep a trickle)."""
    return np.maximum(pass_rate * (1.0 - pass_rate), floor)
