"""JetStream's orchestrator with per-request sampling: a `Driver` whose prefill thread
hands each request's sampling settings to the engine, and the gRPC servicer that reads
them from the call's metadata.

JetStream 0.2.2 passes only tokens from the request to `Engine.prefill`; these
subclasses add the one thing it lacks. Everything else (queues, slots, insert/generate
loop, detokenization, streaming) is JetStream's own.

No request can end the process: JetStream's driver threads kill it on any exception, so
the servicer validates every request first (`RequestLimits.check`: a non-empty prompt
within the prefill length, token ids inside the vocabulary, a positive max_tokens,
finite in-range sampling values, a seed within 64 bits, an optional shared-secret
token) and answers INVALID_ARGUMENT / UNAUTHENTICATED; and the prefill thread ends a
request that still fails with an empty answer instead of raising.
"""
from __future__ import annotations

import contextvars
import dataclasses
import hmac
import logging
import math
import threading
from typing import Any, AsyncIterator, Optional

import rl.jetstream.compat  # noqa: F401  (must precede the jetstream imports)

import grpc
import numpy as np
from jetstream.core import orchestrator
from jetstream.core.proto import jetstream_pb2
from jetstream.engine import token_utils

from rl.jetstream.request_sampling import RequestSampling

# Set by the servicer for the duration of one Decode call (its asyncio task), read by the
# driver when the call queues its request.
_CALL_SAMPLING: contextvars.ContextVar[Optional[RequestSampling]] = contextvars.ContextVar(
    "jetstream_call_sampling", default=None)


TOKEN_METADATA_KEY = "x-jetstream-token"
MAX_TEXT_BYTES = 1 << 20
MAX_TEMPERATURE = 100.0


class InvalidRequest(ValueError):
    """A request the server refuses; the message is the gRPC error's details."""


@dataclasses.dataclass(frozen=True)
class RequestLimits:
    """What the served engine can take; `check` refuses anything else."""

    vocab_size: int
    max_prefill_length: int
    max_cache_length: int
    auth_token: Optional[str] = None

    def check_token(self, metadata) -> bool:
        if not self.auth_token:
            return True
        sent = next((value for key, value in metadata or () if key == TOKEN_METADATA_KEY), "")
        return isinstance(sent, str) and hmac.compare_digest(sent.encode(), self.auth_token.encode())

    def check(self, request: jetstream_pb2.DecodeRequest, sampling: RequestSampling) -> None:
        which = request.WhichOneof("content")
        if which == "text_content":
            text = request.text_content.text
            if not text:
                raise InvalidRequest("the prompt text is empty")
            if len(text.encode("utf-8", errors="replace")) > MAX_TEXT_BYTES:
                raise InvalidRequest(f"the prompt text exceeds {MAX_TEXT_BYTES} bytes")
        elif which == "token_content":
            ids = list(request.token_content.token_ids)
            if not ids:
                raise InvalidRequest("the prompt has no token ids")
            if len(ids) > self.max_prefill_length:
                raise InvalidRequest(f"the prompt has {len(ids)} tokens; the server takes at most "
                                     f"{self.max_prefill_length}")
            bad = next((t for t in ids if not 0 <= t < self.vocab_size), None)
            if bad is not None:
                raise InvalidRequest(f"token id {bad} is outside the vocabulary [0, {self.vocab_size})")
        else:
            raise InvalidRequest("the request has neither text nor token content")
        if not 0 < request.max_tokens <= self.max_cache_length:
            raise InvalidRequest(f"max_tokens must be in [1, {self.max_cache_length}], "
                                 f"got {request.max_tokens}")
        check_sampling(sampling, self.vocab_size)


def check_sampling(sampling: RequestSampling, vocab_size: int) -> None:
    """Sampling values the engine can use: finite, in range, a 64-bit seed."""
    temperature, top_p = sampling.temperature, sampling.top_p
    if not (isinstance(temperature, float) and math.isfinite(temperature)
            and 0 <= temperature <= MAX_TEMPERATURE):
        raise InvalidRequest(f"temperature must be a finite number in [0, {MAX_TEMPERATURE:g}], "
                             f"got {temperature!r}")
    if not (isinstance(top_p, float) and math.isfinite(top_p) and 0 < top_p <= 1):
        raise InvalidRequest(f"top_p must be in (0, 1], got {top_p!r}")
    if not 0 <= sampling.top_k <= vocab_size:
        raise InvalidRequest(f"top_k must be in [0, {vocab_size}], got {sampling.top_k}")
    if not -(1 << 63) <= sampling.seed < (1 << 63):
        raise InvalidRequest(f"seed must fit in 64 bits (signed), got {sampling.seed}")
    if not 0 <= sampling.sample_index < (1 << 31):
        raise InvalidRequest(f"sample_index must be in [0, 2**31), got {sampling.sample_index}")


def _read_sampling(metadata, defaults: RequestSampling) -> RequestSampling:
    try:
        return RequestSampling.from_metadata(metadata, defaults)
    except (ValueError, TypeError, OverflowError) as error:
        raise InvalidRequest(f"malformed sampling metadata: {error}") from None


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
            try:
                self._prefill_one(idx, engine, params, tokenizer, request, sampling)
            except Exception:  # noqa: BLE001 (never let one request end the process)
                logging.exception("prefill failed; the request ends with no tokens")
                request.return_channel.close()
            del request

    def _prefill_one(self, idx, engine, params, tokenizer, request, sampling) -> None:
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


class SamplingOrchestrator(orchestrator.LLMOrchestrator):
    """JetStream's gRPC servicer, reading the call's sampling metadata first."""

    def __init__(self, driver: SamplingDriver, default_sampling: RequestSampling,
                 limits: Optional[RequestLimits] = None):
        super().__init__(driver=driver)
        self._default_sampling = default_sampling
        self._limits = limits

    async def Decode(self, request: jetstream_pb2.DecodeRequest,  # noqa: N802 (gRPC's name)
                     context=None) -> AsyncIterator[jetstream_pb2.DecodeResponse]:
        metadata = context.invocation_metadata() if context is not None else ()
        if self._limits is not None and not self._limits.check_token(metadata):
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or wrong server token")
        try:
            sampling = _read_sampling(metadata, self._default_sampling)
            if self._limits is not None:
                self._limits.check(request, sampling)
        except InvalidRequest as error:
            if context is None:
                raise
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        _CALL_SAMPLING.set(sampling)
        async for response in super().Decode(request, context):
            yield response
