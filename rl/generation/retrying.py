"""Retries with exponential backoff for remote text-generation backends, and the one
error a caller sees when a server stays down."""
from __future__ import annotations

import dataclasses
import logging
import random
import time
from typing import Callable, TypeVar

T = TypeVar("T")


class TransientBackendError(Exception):
    """A failure worth retrying: connection refused or reset, timeout, 429 or 5xx."""


class GenerationBackendError(RuntimeError):
    """The backend could not serve a request: it stayed unreachable after all retries,
    or it rejected the request outright (a 4xx other than 429)."""


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """Attempt a call up to `max_attempts` times, sleeping `initial_backoff_s`, then
    `multiplier` times longer each time (capped at `max_backoff_s`), each sleep
    stretched by up to `jitter` of itself at random so clients do not retry in step."""

    max_attempts: int = 5
    initial_backoff_s: float = 0.5
    max_backoff_s: float = 30.0
    multiplier: float = 2.0
    jitter: float = 0.1

    def __post_init__(self):
        if self.max_attempts < 1:
            raise ValueError(f"RetryPolicy.max_attempts must be >= 1, got {self.max_attempts}")
        if self.initial_backoff_s < 0 or self.max_backoff_s < 0:
            raise ValueError("RetryPolicy backoffs must be >= 0")

    def backoff_s(self, retry_index: int, rng: random.Random) -> float:
        """The sleep before retry number `retry_index` (0 for the first retry)."""
        base = min(self.max_backoff_s, self.initial_backoff_s * self.multiplier**retry_index)
        return base * (1.0 + self.jitter * rng.random())


def call_with_retries(
    call: Callable[[], T],
    policy: RetryPolicy,
    what: str,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> T:
    """Run `call`, retrying on `TransientBackendError`; after the last attempt raise a
    `GenerationBackendError` naming `what` (the backend and address) and the last error."""
    rng = rng or random.Random()
    started = time.monotonic()
    for attempt in range(policy.max_attempts):
        try:
            return call()
        except TransientBackendError as error:
            if attempt + 1 == policy.max_attempts:
                elapsed = time.monotonic() - started
                raise GenerationBackendError(
                    f"{what} did not answer after {policy.max_attempts} attempts over "
                    f"{elapsed:.1f} s (last error: {error}); check that the server is running "
                    "and reachable at that address, or raise the retry settings in the config"
                ) from error
            pause = policy.backoff_s(attempt, rng)
            logging.warning("%s: %s; retry %d/%d in %.2f s", what, error, attempt + 1,
                            policy.max_attempts - 1, pause)
            sleep(pause)
    raise AssertionError("unreachable")
