"""How a request becomes prompt token ids for the clients that tokenize themselves (the
in-process and JetStream ones): the model's chat template over `messages` with the
generation prompt, then the request's `response_prefix`; or the raw `prompt` text."""
from __future__ import annotations

from rl.generation.types import GenerationRequest
from rl.loaders.tokenizer import Tokenizer


def prompt_token_ids(tokenizer: Tokenizer, request: GenerationRequest) -> list[int]:
    if request.messages is None:
        return tokenizer.encode(request.prompt, add_special_tokens=True)
    ids = tokenizer.encode_chat([{"role": m.role, "content": m.content} for m in request.messages],
                                add_generation_prompt=True)
    if request.response_prefix:
        ids = ids + tokenizer.encode(request.response_prefix, add_special_tokens=False)
    return ids
