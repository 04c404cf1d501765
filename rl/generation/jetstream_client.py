"""The JetStream gRPC client of the text-generation interface.

The client applies the model's chat template, tokenizes and detokenizes itself (sending
token ids, so the server never splits a multi-byte character across tokens), and asks
for each of a request's n samples with its own call. Sampling settings travel as call
metadata (`rl.jetstream.request_sampling`), the structured-decoding constraint among them,
which our server reads; a stock JetStream
server ignores them and samples with its own settings. Stop strings are checked on the
decoded stream; once one appears the call is cancelled and the text cut before it.

Departures: no log-probs (JetStream's protocol carries token ids only); `extra` fields
are ignored (the protocol has no place for them); the stop token that ends an answer is
never sent, so `token_ids` and `completion_tokens` leave it out (the in-process client
keeps it); a completion that ends by the server's cache bound rather than a stop token is
reported as "stop".
"""
from __future__ import annotations

from typing import Optional, Sequence

import rl.jetstream.compat  # noqa: F401  (must precede the jetstream imports)

import grpc
from jetstream.core.proto import jetstream_pb2, jetstream_pb2_grpc

from rl.generation.concurrency import BoundedRunner
from rl.generation.retrying import (
    GenerationBackendError, RetryPolicy, TransientBackendError, call_with_retries)
from rl.generation.rendering import prompt_token_ids
from rl.generation.types import Completion, GenerationRequest, GenerationResult
from rl.jetstream.request_sampling import RequestSampling
from rl.loaders.tokenizer import Tokenizer

_RETRIABLE_CODES = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
                              grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.ABORTED})


def cut_at_stop(text: str, stops: Sequence[str]) -> Optional[str]:
    """`text` up to the earliest stop string, or None when it contains none."""
    positions = [index for index in (text.find(stop) for stop in stops if stop) if index >= 0]
    return text[: min(positions)] if positions else None


class JetStreamClient:
    """A `TextGenerator` over a JetStream server at `address` ("host:port").

    `tokenizer` is the served model's (its chat template renders `messages`). Each
    sample is one streaming call with a `timeout_s` deadline, retried per `retry`; at
    most `max_concurrency` calls are in flight (size it to the server's slots).
    """

    def __init__(self, address: str, tokenizer: Tokenizer, model: str = "", timeout_s: float = 600.0,
                 retry: RetryPolicy = RetryPolicy(), max_concurrency: int = 8):
        if ":" not in address or address.startswith(("http://", "https://")):
            raise ValueError(f"JetStream address {address!r} must be host:port, e.g. 127.0.0.1:9000")
        self.address = address
        self.model = model
        self.tokenizer = tokenizer
        self.timeout_s = timeout_s
        self.retry = retry
        self._channel = grpc.insecure_channel(address)
        self._stub = jetstream_pb2_grpc.OrchestratorStub(self._channel)
        self._runner = BoundedRunner(max_concurrency, "jetstream-client")

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        return self._assemble(requests, self._runner.map(self._sample, self._samples_of(requests)))

    async def agenerate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        return self._assemble(requests, await self._runner.amap(self._sample, self._samples_of(requests)))

    def close(self) -> None:
        self._runner.close()
        self._channel.close()

    def _samples_of(self, requests: Sequence[GenerationRequest]) -> list[tuple[GenerationRequest, list[int], int]]:
        samples = []
        for request in requests:
            prompt_ids = self._prompt_ids(request)
            samples += [(request, prompt_ids, index) for index in range(request.n)]
        return samples

    def _assemble(self, requests: Sequence[GenerationRequest], completions: list[Completion]) -> list[GenerationResult]:
        results, start = [], 0
        for request in requests:
            results.append(GenerationResult(tuple(completions[start:start + request.n]), model=self.model))
            start += request.n
        return results

    def _prompt_ids(self, request: GenerationRequest) -> list[int]:
        return prompt_token_ids(self.tokenizer, request)

    def _sample(self, sample: tuple[GenerationRequest, list[int], int]) -> Completion:
        request, prompt_ids, index = sample
        return call_with_retries(lambda: self._stream(request, prompt_ids, index), self.retry,
                                 f"JetStream server at {self.address}")

    def _stream(self, request: GenerationRequest, prompt_ids: list[int], index: int) -> Completion:
        sampling = RequestSampling(temperature=request.temperature, top_p=request.top_p,
                                   top_k=request.top_k, seed=request.seed, sample_index=index,
                                   constraint=request.constraint or "")
        call = self._stub.Decode(
            jetstream_pb2.DecodeRequest(
                max_tokens=request.max_new_tokens,
                token_content=jetstream_pb2.DecodeRequest.TokenContent(token_ids=prompt_ids)),
            metadata=sampling.to_metadata(), timeout=self.timeout_s)
        token_ids: list[int] = []
        try:
            for response in call:
                for chunk in response.stream_content.samples:
                    token_ids.extend(chunk.token_ids)
                if request.stop:
                    cut = cut_at_stop(self.tokenizer.decode(token_ids), request.stop)
                    if cut is not None:
                        call.cancel()
                        return Completion(text=cut, prompt_tokens=len(prompt_ids),
                                          completion_tokens=len(token_ids), finish_reason="stop",
                                          token_ids=tuple(token_ids))
        except grpc.RpcError as error:
            code = error.code()
            if code in _RETRIABLE_CODES:
                raise TransientBackendError(f"{code.name}: {error.details()}") from error
            raise GenerationBackendError(
                f"JetStream server at {self.address} failed the request: {code.name}: {error.details()}"
            ) from error
        finish = "length" if len(token_ids) >= request.max_new_tokens else "stop"
        return Completion(text=self.tokenizer.decode(token_ids), prompt_tokens=len(prompt_ids),
                          completion_tokens=len(token_ids), finish_reason=finish,
                          token_ids=tuple(token_ids))
