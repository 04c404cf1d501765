"""Retries with exponential backoff: what is retried, how long it waits, what it raises."""
import random

import pytest

from rl.generation.retrying import (
    GenerationBackendError, RetryPolicy, TransientBackendError, call_with_retries)


def test_backoff_grows_by_the_multiplier_and_is_capped():
    policy = RetryPolicy(initial_backoff_s=1.0, multiplier=2.0, max_backoff_s=5.0, jitter=0.0)
    rng = random.Random(0)
    assert [policy.backoff_s(i, rng) for i in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_jitter_stretches_at_most_by_its_fraction():
    policy = RetryPolicy(initial_backoff_s=2.0, jitter=0.25)
    rng = random.Random(1)
    pauses = [policy.backoff_s(0, rng) for _ in range(50)]
    assert all(2.0 <= pause <= 2.5 for pause in pauses) and len(set(pauses)) > 1


def test_transient_failures_are_retried_until_success():
    calls, sleeps = [], []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise TransientBackendError("connection refused")
        return "answer"

    policy = RetryPolicy(max_attempts=4, initial_backoff_s=0.5, jitter=0.0)
    assert call_with_retries(flaky, policy, "server", sleep=sleeps.append) == "answer"
    assert sleeps == [0.5, 1.0]


def test_exhausted_retries_name_the_backend_and_the_last_error():
    sleeps = []

    def down():
        raise TransientBackendError("connection refused")

    with pytest.raises(GenerationBackendError, match=r"server at x:1 did not answer after 3 attempts.*connection refused"):
        call_with_retries(down, RetryPolicy(max_attempts=3, jitter=0.0), "server at x:1", sleep=sleeps.append)
    assert len(sleeps) == 2


def test_other_errors_are_not_retried():
    calls = []

    def broken():
        calls.append(1)
        raise GenerationBackendError("HTTP 400")

    with pytest.raises(GenerationBackendError, match="HTTP 400"):
        call_with_retries(broken, RetryPolicy(), "server", sleep=lambda _: None)
    assert len(calls) == 1
