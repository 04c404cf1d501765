"""The in-process `TextGenerator`: requests are rendered with the model's own chat template,
expanded to n samples, grouped by sampling settings into batches for the KV-cached `Sampler`,
and decoded back to text with token counts, finish reasons and per-token log-probs.

Seeds: sample j of a request decodes with key fold_in(key(seed), j), and the sampler makes a
row's tokens independent of its batch-mates, so a request gives the same completions alone
or batched with others. Stop strings: the text is cut before the first stop string (as
OpenAI-compatible servers do); `token_ids`/`logprobs` keep the tokens up to the one that
completed it. `extra` fields are accepted and ignored (they steer remote servers only).
Constraints (`GenerationRequest.constraint`) are compiled to token automata against this
tokenizer (`rl.sampling.token_automaton`, cached) and enforced inside the sampler's jitted
loop; rows with and without constraints share a batch.
The async twin batches: requests that arrive while the device is busy wait and then run
together in one `generate` call (so concurrent teacher or student calls of many families
share a prefill and a decode loop instead of queueing at batch 1). Before a batch starts,
the worker waits while requests keep arriving (until `batch_quiet_s` passes with none, at
most `batch_wait_s`, or a full batch is queued): callers woken by the same finished batch
reach the queue a few milliseconds apart, and without the wait the first of them would
run alone while the rest queue behind it. One lock serialises device use.
"""
from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections import defaultdict
from typing import Optional, Sequence

import jax
import numpy as np
from absl import logging

from rl.generation.rendering import prompt_token_ids
from rl.generation.types import Completion, GenerationRequest, GenerationResult
from rl.loaders.checkpoint import load_checkpoint
from rl.loaders.errors import CheckpointError
from rl.loaders.tokenizer import Tokenizer
from rl.models.hf_weights import model_from_hf_tensors
from rl.sampling.sampler import Sampler
from rl.sampling.token_automaton import ConstraintVocabulary, TokenAutomaton, compile_regex


@dataclasses.dataclass(frozen=True)
class _Row:
    request_index: int
    sample_index: int
    prompt_ids: tuple[int, ...]
    seed: int
    constraint: Optional[str] = None


def _settings_key(request: GenerationRequest) -> tuple:
    return (request.max_new_tokens, float(request.temperature), float(request.top_p), int(request.top_k),
            tuple(request.stop))


def _cut_at_stop_strings(text: str, stops: Sequence[str]) -> tuple[str, bool]:
    positions = [text.find(stop) for stop in stops if stop and stop in text]
    if not positions:
        return text, False
    return text[: min(positions)], True


class InProcessGenerator:
    """Text generation with a model held in this process (teacher, student or policy)."""

    def __init__(self, sampler: Sampler, tokenizer: Tokenizer, *, model_name: str = "",
                 max_batch_size: int = 32, max_context: Optional[int] = None, batch_quiet_s: float = 0.5,
                 batch_wait_s: float = 3.0):
        if max_batch_size < 1:
            raise ValueError(f"max_batch_size must be >= 1, got {max_batch_size}")
        if batch_quiet_s < 0 or batch_wait_s < 0:
            raise ValueError(f"batch_quiet_s and batch_wait_s must be >= 0, got {batch_quiet_s}, {batch_wait_s}")
        self.batch_quiet_s = batch_quiet_s
        self.batch_wait_s = batch_wait_s
        self.sampler = sampler
        self.tokenizer = tokenizer
        self.model_name = model_name
        self.max_batch_size = max_batch_size
        self.max_context = max_context
        self._device_lock = threading.Lock()
        self._vocabulary: Optional[ConstraintVocabulary] = None
        self._pending: list[tuple[Sequence[GenerationRequest], asyncio.AbstractEventLoop, asyncio.Future]] = []
        self._pending_lock = threading.Lock()
        self._draining = False

    def automaton(self, regex: str) -> TokenAutomaton:
        """The token automaton of `regex` for this model (compiled once, cached on disk)."""
        if self._vocabulary is None:
            self._vocabulary = ConstraintVocabulary.of(self.tokenizer, self.sampler.logits_width)
        return compile_regex(regex, self._vocabulary)

    @classmethod
    def from_checkpoint(cls, source: str, *, dtype: Optional[str] = None, max_batch_size: int = 32,
                        cache_dir=None) -> "InProcessGenerator":
        """Load a pack name, checkpoint directory or .gguf file; `dtype` sets compute and parameter dtype."""
        loaded = load_checkpoint(source, cache_dir=cache_dir)
        if loaded.tokenizer is None:
            raise CheckpointError(f"{source} has no tokenizer.json; text generation needs the model's tokenizer")
        config = loaded.config if dtype is None else loaded.config.replace(dtype=dtype, param_dtype=dtype)
        model = model_from_hf_tensors(config, loaded.tensors)
        # Prompts padded to multiples of 128: the prompt lengths of a data-generation run (seed
        # prompts, replayed turns, head-then-tail continuations) share a few compiled shapes.
        sampler = Sampler.from_model(model, pad_id=loaded.tokenizer.pad_token_id, prompt_bucket=128)
        return cls(sampler, loaded.tokenizer, model_name=str(source), max_batch_size=max_batch_size,
                   max_context=config.max_position_embeddings)

    def prompt_ids(self, request: GenerationRequest) -> list[int]:
        """The prompt tokens (`rl.generation.rendering`)."""
        return prompt_token_ids(self.tokenizer, request)

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        rows_by_settings: dict[tuple, list[_Row]] = defaultdict(list)
        for request_index, request in enumerate(requests):
            prompt = tuple(self.prompt_ids(request))
            if not prompt:
                raise ValueError(f"request {request_index} renders to an empty prompt")
            if self.max_context is not None and len(prompt) + request.max_new_tokens > self.max_context:
                raise ValueError(
                    f"request {request_index}: {len(prompt)} prompt tokens + max_new_tokens "
                    f"{request.max_new_tokens} exceed the model's context of {self.max_context} tokens; "
                    "shorten the prompt or lower max_new_tokens")
            if request.constraint:
                self.automaton(request.constraint)   # a bad regex fails here, before any decoding
            for sample_index in range(request.n):
                rows_by_settings[_settings_key(request)].append(
                    _Row(request_index, sample_index, prompt, request.seed, request.constraint or None))

        completions: dict[tuple[int, int], Completion] = {}
        for settings, rows in rows_by_settings.items():
            for start in range(0, len(rows), self.max_batch_size):
                batch = rows[start:start + self.max_batch_size]
                for row, completion in zip(batch, self._sample(batch, *settings)):
                    completions[(row.request_index, row.sample_index)] = completion
        return [
            GenerationResult(
                completions=tuple(completions[(index, sample)] for sample in range(request.n)),
                model=self.model_name,
            )
            for index, request in enumerate(requests)
        ]

    async def agenerate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        """Queue `requests`; one worker thread runs everything queued so far as one batch."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        with self._pending_lock:
            self._pending.append((list(requests), loop, future))
            start = not self._draining
            self._draining = True
        if start:
            threading.Thread(target=self._drain, name="in-process-generate", daemon=True).start()
        return await future

    def _queued_rows(self) -> int:
        with self._pending_lock:
            return sum(request.n for requests, _, _ in self._pending for request in requests)

    def _wait_for_stragglers(self) -> None:
        deadline = time.monotonic() + self.batch_wait_s
        queued = self._queued_rows()
        while queued < self.max_batch_size and time.monotonic() < deadline:
            time.sleep(min(self.batch_quiet_s, max(deadline - time.monotonic(), 0.0)))
            now = self._queued_rows()
            if now == queued:
                return
            queued = now

    def _drain(self) -> None:
        while True:
            self._wait_for_stragglers()
            with self._pending_lock:
                batch, self._pending = self._pending, []
                if not batch:
                    self._draining = False
                    return
            merged = [request for requests, _, _ in batch for request in requests]
            try:
                results = self.generate(merged)
            except Exception:  # one caller's bad request must not fail the others: run each alone
                for requests, loop, future in batch:
                    try:
                        loop.call_soon_threadsafe(_settle, future, self.generate(requests), None)
                    except Exception as error:
                        loop.call_soon_threadsafe(_settle, future, None, error)
                continue
            start = 0
            for requests, loop, future in batch:
                loop.call_soon_threadsafe(_settle, future, results[start:start + len(requests)], None)
                start += len(requests)

    def _sample(self, rows: Sequence[_Row], max_new_tokens: int, temperature: float, top_p: float, top_k: int,
                stop: tuple[str, ...]) -> list[Completion]:
        keys = jax.numpy.stack([
            jax.random.fold_in(jax.random.key(row.seed), row.sample_index) for row in rows
        ])
        constraints = [self.automaton(row.constraint) if row.constraint else None for row in rows]
        with self._device_lock:
            started = time.perf_counter()
            output = self.sampler.sample(
                [list(row.prompt_ids) for row in rows], max_new_tokens=max_new_tokens, temperature=temperature,
                top_p=top_p, top_k=top_k, stop_token_ids=self.tokenizer.stop_token_ids, stop_strings=stop,
                detokenize=self.tokenizer.decode if stop else None, rng=keys,
                constraints=constraints if any(c is not None for c in constraints) else None,
            )
            seconds = time.perf_counter() - started
        logging.info("in-process generate: %d rows (%d distinct prompts, longest %d tokens), %d/%d new tokens "
                     "(longest/limit), %d constrained, %.1f s", len(rows), len({row.prompt_ids for row in rows}),
                     max(len(row.prompt_ids) for row in rows), max(map(len, output.tokens)), max_new_tokens,
                     sum(c is not None for c in constraints), seconds)
        completions = []
        for row, tokens, log_probs, reason in zip(rows, output.tokens, output.log_probs, output.finish_reasons):
            text, stopped_by_string = _cut_at_stop_strings(self.tokenizer.decode(tokens), stop)
            completions.append(Completion(
                text=text,
                prompt_tokens=len(row.prompt_ids),
                completion_tokens=len(tokens),
                finish_reason="stop" if stopped_by_string else reason,
                token_ids=tuple(int(token) for token in tokens),
                logprobs=tuple(float(value) for value in np.asarray(log_probs, np.float64)),
            ))
        return completions


def _settle(future: asyncio.Future, result, error: Optional[BaseException]) -> None:
    if future.done():   # the caller was cancelled
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
