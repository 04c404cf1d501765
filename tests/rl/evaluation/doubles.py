"""Test doubles for evaluation tests: a text generator that answers from a script."""
from __future__ import annotations

from typing import Callable, Sequence

from rl.generation.types import Completion, GenerationRequest, GenerationResult


class ScriptedGeneratorDouble:
    """Answers each request with `answer_for(user_text, sample_index)`; records the requests."""

    def __init__(self, answer_for: Callable[[str, int], str]):
        self._answer_for = answer_for
        self.requests: list[GenerationRequest] = []

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        self.requests.extend(requests)
        results = []
        for request in requests:
            user_text = request.messages[-1].content
            completions = tuple(Completion(text=self._answer_for(user_text, index), prompt_tokens=0,
                                           completion_tokens=0, finish_reason="stop")
                                for index in range(request.n))
            results.append(GenerationResult(completions=completions, model="scripted-double"))
        return results

    async def agenerate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        return self.generate(requests)
