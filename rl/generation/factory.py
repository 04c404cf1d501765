"""Building the text generator a `teacher` or `student` config section names
(configs/sections/teacher.py): in-process sampler, JetStream gRPC or OpenAI-compatible HTTP."""
from __future__ import annotations

import os
from pathlib import Path

import ml_collections

from configs.sections.teacher import BACKENDS
from rl.generation.in_process import InProcessGenerator
from rl.generation.jetstream_client import JetStreamClient
from rl.generation.openai_client import OpenAICompatibleClient
from rl.generation.retrying import RetryPolicy
from rl.generation.types import TextGenerator
from rl.loaders.errors import CheckpointError
from rl.loaders.gguf_file import open_gguf
from rl.loaders.gguf_tokenizer import tokenizer_from_gguf
from rl.loaders.model_packs import MODEL_PACKS
from rl.loaders.pack_cache import prepare_pack
from rl.loaders.tokenizer import Tokenizer


def retry_policy(section: ml_collections.ConfigDict) -> RetryPolicy:
    return RetryPolicy(max_attempts=int(section.retry.max_attempts),
                       initial_backoff_s=float(section.retry.initial_backoff_s),
                       max_backoff_s=float(section.retry.max_backoff_s))


def tokenizer_of(model: str):
    """The tokenizer (with chat template) of a pack name, checkpoint directory or .gguf file,
    without loading the weights: a JetStream client needs only this."""
    if model in MODEL_PACKS:
        return Tokenizer.from_directory(prepare_pack(model))
    path = Path(model).expanduser()
    if path.is_dir():
        return Tokenizer.from_directory(path)
    if path.is_file() and path.suffix == ".gguf":
        return tokenizer_from_gguf(open_gguf(path)[1])
    raise CheckpointError(
        f"cannot find the tokenizer of {model!r}: give a model pack name ({', '.join(sorted(MODEL_PACKS))}), "
        "a checkpoint directory with tokenizer.json, or a .gguf file")


def make_text_generator(section: ml_collections.ConfigDict) -> TextGenerator:
    """The client for one role; remote backends need `address`."""
    backend = str(section.backend)
    if backend in ("jetstream", "openai") and not section.address:
        example = "127.0.0.1:9000" if backend == "jetstream" else "http://127.0.0.1:8000"
        raise ValueError(f"backend {backend!r} needs an address: set e.g. --config.teacher.address={example} "
                         "(or --config.student.address for the student)")
    if backend == "openai":
        return OpenAICompatibleClient(
            str(section.address), model=str(section.model),
            api_key=os.environ.get(str(section.api_key_env), "") if section.api_key_env else "",
            timeout_s=float(section.timeout_s), retry=retry_policy(section),
            max_concurrency=int(section.max_concurrency),
            constraint_field=str(section.get("constraint_field", "guided_regex")))
    if backend == "jetstream":
        return JetStreamClient(
            str(section.address), tokenizer_of(str(section.model)), model=str(section.model),
            timeout_s=float(section.timeout_s), retry=retry_policy(section),
            max_concurrency=int(section.max_concurrency))
    if backend == "in_process":
        return InProcessGenerator.from_checkpoint(str(section.model), dtype=str(section.get("dtype", "")) or None)
    raise ValueError(f"unknown text-generation backend {backend!r}; choose one of {', '.join(BACKENDS)}")
