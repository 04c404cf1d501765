"""Bounded concurrency for remote clients: at most `max_concurrency` requests in flight
per client, shared by its blocking `generate` and its async `agenerate`."""
from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from typing import Callable, Sequence, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class BoundedRunner:
    """Runs a function over items on a thread pool of fixed size, keeping input order.

    One pool per client, so concurrent `generate` and `agenerate` calls together never
    exceed the bound a server was sized for.
    """

    def __init__(self, max_concurrency: int, name: str):
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be >= 1, got {max_concurrency}")
        self.max_concurrency = max_concurrency
        self._name = name
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> concurrent.futures.ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = concurrent.futures.ThreadPoolExecutor(
                    self.max_concurrency, thread_name_prefix=self._name)
            return self._pool

    def map(self, function: Callable[[Item], Result], items: Sequence[Item]) -> list[Result]:
        """`[function(item) for item in items]`, run concurrently; re-raises the first
        failure (in input order) after every call has finished."""
        futures = [self._executor().submit(function, item) for item in items]
        concurrent.futures.wait(futures)
        return [future.result() for future in futures]

    async def amap(self, function: Callable[[Item], Result], items: Sequence[Item]) -> list[Result]:
        """The async twin of `map`: awaits the calls without blocking the event loop."""
        loop = asyncio.get_running_loop()
        futures = [loop.run_in_executor(self._executor(), function, item) for item in items]
        outcomes = await asyncio.gather(*futures, return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        return list(outcomes)

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None
