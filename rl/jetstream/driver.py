"""JetStream's orchestrator with per-request sampling: a `Driver` whose prefill thread
hands each request's sampling settings to the engine, and the gRPC servicer that reads
them from the call's metadata.

JetStream 0.2.2 passes only tokens from the request to `Engine.prefill`; these
subclasses add the one thing it lacks. Everything else (queues, slots, insert/generate
loop, detokenization, streaming) is JetStream's own.
"""
from __future__ import annotations

import contextvars
import logging
import threading
from typing import Any, AsyncIterator, Optional

import rl.jetstream.compat  # noqa: F401  (must precede the jetstream imports)

import numpy as np
from jetstream.core import orchestrator
from jetstream.core.proto import jetstream_pb2
from jetstream.engine import token_utils

from rl.jetstream.request_sampling import RequestSampling

# Set by the servicer for the duration of one Decode call (its asyncio task), read by the
# driver when the call queues its request.
_CALL_SAMPLING: contextvars.ContextVar[Optional[RequestSampling]] = contextvars.ContextVar(
    "jetstream_call_sampling", default=None)


class SamplingDriver(orchestrator.Driver):
    """A JetStream Driver whose engines receive each request's `RequestSampling`.

    `default_sampling` applies to requests sent without sampling metadata.
    """

    def __init__(self, *args: Any, default_sampling: RequestSampling = RequestSampling(), **kwargs: Any):
        # Set before the base constructor starts the prefill threads that read them.
        self._default_sampling = default_sampling
        self._sampling_by_request: dict[int, RequestSampling] = {}
        self._sampling_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def place_request_on_prefill_queue(self, request: orchestrator.ActiveRequest):
        sampling = _CALL_SAMPLING.get() or self._default_sampling
        with self._sampling_lock:
            self._sampling_by_request[id(request)] = sampling
        try:
            super().place_request_on_prefill_queue(request)
        except Exception:
            with self._sampling_lock:
                self._sampling_by_request.pop(id(request), None)
            raise

    def _take_sampling(self, request: orchestrator.ActiveRequest) -> RequestSampling:
        with self._sampling_lock:
            return self._sampling_by_request.pop(id(request), self._default_sampling)

    def _prefill_thread(self, idx: int):
        """Prefill requests one at a time, as JetStream's does, passing their sampling.

        Prompts are padded without a BOS: the client's tokenizer (or ours, for text
        requests) already wrote whatever the model expects.
        """
        engine = self._prefill_engines[idx]
        params = self._prefill_params[idx]
        tokenizer = engine.build_tokenizer(engine.get_tokenizer())
        while self.live:
            request = self._prefill_backlog.get(block=True)
            if request is None:
                break
            sampling = self._take_sampling(request)
            if isinstance(request.prefill_content, str):
                padded_tokens, true_length = tokenizer.encode(
                    request.prefill_content, max_prefill_length=engine.max_prefill_length,
                    jax_padding=self._jax_padding)
            else:
                padded_tokens, true_length = token_utils.pad_tokens(
                    np.asarray(request.prefill_content, np.int32), tokenizer.bos_id, tokenizer.pad_id,
                    is_bos=False, max_prefill_length=engine.max_prefill_length,
                    jax_padding=self._jax_padding)
            true_length = min(true_length, engine.max_prefill_length)
            request.prefill_result = engine.prefill(
                params=params, padded_tokens=padded_tokens, true_length=true_length, sampling=sampling)
            self._transfer_backlogs[idx].put(request, block=True)
            logging.debug("prefilled a request of %d tokens with %s", true_length, sampling)
            del request


class SamplingOrchestrator(orchestrator.LLMOrchestrator):
    """JetStream's gRPC servicer, reading the call's sampling metadata first."""

    def __init__(self, driver: SamplingDriver, default_sampling: RequestSampling):
        super().__init__(driver=driver)
        self._default_sampling = default_sampling

    async def Decode(self, request: jetstream_pb2.DecodeRequest,  # noqa: N802 (gRPC's name)
                     context=None) -> AsyncIterator[jetstream_pb2.DecodeResponse]:
        metadata = context.invocation_metadata() if context is not None else ()
        _CALL_SAMPLING.set(RequestSampling.from_metadata(metadata, self._default_sampling))
        async for response in super().Decode(request, context):
            yield response
