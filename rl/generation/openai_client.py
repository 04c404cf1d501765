"""The OpenAI-compatible HTTP client of the text-generation interface.

vLLM and SGLang serve the paper's GPT-OSS-120B teacher through this API. Chat requests go
to `/v1/chat/completions`, raw prompts to `/v1/completions`; `n`, `max_tokens`,
`temperature`, `top_p`, `stop` and `seed` map onto the standard fields, `top_k` (a vLLM
and SGLang extension) is sent only when set, and `GenerationRequest.extra` (for example
`{"reasoning_effort": "low"}`) is merged into the body as is. A request's `constraint`
(a regex) goes into the server's structured-output field, named by `constraint_field`
("guided_regex" for vLLM's OpenAI server; SGLang reads "regex"). Uses only the standard
library (urllib), so it adds no dependency.

Departures: the API reports completion tokens only summed over the n choices; each
Completion gets a share of that sum in proportion to its text length (the shares add up
to the server's count, which is what teacher-token budgets use). No log-probs are
requested: the trainer never computes importance ratios against a remote teacher.
"""
from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from typing import Any, Mapping, Sequence

from rl.generation.concurrency import BoundedRunner
from rl.generation.retrying import (
    GenerationBackendError, RetryPolicy, TransientBackendError, call_with_retries)
from rl.generation.types import Completion, GenerationRequest, GenerationResult

_RETRIABLE_HTTP_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


DEFAULT_CONSTRAINT_FIELD = "guided_regex"


def request_body(request: GenerationRequest, model: str,
                 constraint_field: str = DEFAULT_CONSTRAINT_FIELD) -> dict[str, Any]:
    """The JSON body for one request (chat or raw completion)."""
    body: dict[str, Any] = {
        "model": model,
        "n": request.n,
        "max_tokens": request.max_new_tokens,
        "temperature": request.temperature,
        "top_p": request.top_p,
        "seed": request.seed,
    }
    if request.messages is not None:
        body["messages"] = [{"role": m.role, "content": m.content} for m in request.messages]
        if request.response_prefix:
            # vLLM's and SGLang's chat extension: continue the last (assistant) message
            body["messages"].append({"role": "assistant", "content": request.response_prefix})
            body["continue_final_message"] = True
            body["add_generation_prompt"] = False
    else:
        body["prompt"] = request.prompt
    if request.stop:
        body["stop"] = list(request.stop)
    if request.top_k > 0:
        body["top_k"] = request.top_k
    if request.constraint:
        body[constraint_field] = request.constraint
    body.update(request.extra)
    return body


def apportion_tokens(total: int, texts: Sequence[str]) -> list[int]:
    """Split `total` completion tokens over choices by text length, summing to `total`."""
    if len(texts) == 1:
        return [total]
    weights = [max(len(text), 1) for text in texts]
    shares = [total * weight // sum(weights) for weight in weights]
    for index in range(total - sum(shares)):
        shares[index % len(shares)] += 1
    return shares


def parse_response(payload: Mapping[str, Any], chat: bool) -> GenerationResult:
    """Completions from a `/v1/chat/completions` or `/v1/completions` response."""
    choices = sorted(payload.get("choices", ()), key=lambda choice: choice.get("index", 0))
    if not choices:
        raise GenerationBackendError(f"the server answered without choices: {str(payload)[:300]}")
    texts = [
        ((choice.get("message") or {}).get("content") or "") if chat else (choice.get("text") or "")
        for choice in choices
    ]
    usage = payload.get("usage") or {}
    prompt_tokens = int(usage.get("prompt_tokens", 0))
    completion_tokens = apportion_tokens(int(usage.get("completion_tokens", 0)), texts)
    completions = tuple(
        Completion(
            text=text,
            prompt_tokens=prompt_tokens,
            completion_tokens=tokens,
            finish_reason="length" if choice.get("finish_reason") == "length" else "stop",
        )
        for choice, text, tokens in zip(choices, texts, completion_tokens)
    )
    return GenerationResult(completions=completions, model=str(payload.get("model", "")))


class OpenAICompatibleClient:
    """A `TextGenerator` over an OpenAI-compatible server (vLLM, SGLang, OpenAI).

    `base_url` is the server root, e.g. "http://127.0.0.1:8000" (a trailing "/v1" is
    accepted). Each request is one HTTP call with its own `timeout_s`, retried per
    `retry`; at most `max_concurrency` calls are in flight.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str = "",
        timeout_s: float = 600.0,
        retry: RetryPolicy = RetryPolicy(),
        max_concurrency: int = 8,
        constraint_field: str = DEFAULT_CONSTRAINT_FIELD,
    ):
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(
                f"OpenAI-compatible address {base_url!r} must start with http:// or https:// "
                "(e.g. http://127.0.0.1:8000)")
        root = base_url.rstrip("/")
        self.base_url = root[: -len("/v1")] if root.endswith("/v1") else root
        self.model = model
        self._api_key = api_key
        self.timeout_s = timeout_s
        self.retry = retry
        self.constraint_field = constraint_field
        self._runner = BoundedRunner(max_concurrency, "openai-client")

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        return self._runner.map(self._generate_one, list(requests))

    async def agenerate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        return await self._runner.amap(self._generate_one, list(requests))

    def close(self) -> None:
        self._runner.close()

    def _generate_one(self, request: GenerationRequest) -> GenerationResult:
        chat = request.messages is not None
        url = self.base_url + ("/v1/chat/completions" if chat else "/v1/completions")
        body = json.dumps(request_body(request, self.model, self.constraint_field)).encode()
        payload = call_with_retries(
            lambda: self._post(url, body), self.retry, f"OpenAI-compatible server at {url}")
        return parse_response(payload, chat)

    def _post(self, url: str, body: bytes) -> Mapping[str, Any]:
        headers = {"Content-Type": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        http_request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(http_request, timeout=self.timeout_s) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            detail = _error_detail(error)
            if error.code in _RETRIABLE_HTTP_STATUS:
                raise TransientBackendError(f"HTTP {error.code}: {detail}") from error
            raise GenerationBackendError(
                f"the server at {url} rejected the request with HTTP {error.code}: {detail}"
            ) from error
        except (urllib.error.URLError, ConnectionError, socket.timeout, TimeoutError) as error:
            raise TransientBackendError(f"{type(error).__name__}: {error}") from error
        except json.JSONDecodeError as error:
            raise TransientBackendError(f"the answer was not JSON ({error})") from error


def _error_detail(error: urllib.error.HTTPError) -> str:
    try:
        return error.read().decode(errors="replace")[:500]
    except Exception:  # the body of a failed response may be unreadable; the code suffices
        return error.reason or ""
