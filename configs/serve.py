"""Serve a model with JetStream (its orchestrator and gRPC) for the teacher or student.

    python -m data_gen.serve --config=configs/serve.py
    python -m data_gen.serve --config=configs/serve.py --config.port=9001 --config.slots=16
    python -m data_gen.serve --config=configs/serve.py:smoke     # short contexts, 4 slots

Then point a client at it: `--config.teacher.backend=jetstream
--config.teacher.address=127.0.0.1:9000` with the same `teacher.model` (the client
tokenizes with that model's tokenizer and chat template).

Fields: `model` is a pack name, a Hugging Face checkpoint directory or a .gguf file;
`slots` is the decode batch (JetStream's max_concurrent_decodes); a request's prompt
is padded to a JetStream bucket up to `max_prefill_length` (longer prompts keep their
last tokens) and prompt plus answer must fit `max_cache_length`. `sampling` holds the
defaults for requests sent without sampling metadata (the project's client always sends
its own).
"""
from __future__ import annotations

import ml_collections


def get_config(size: str = "") -> ml_collections.ConfigDict:
    if size not in ("", "smoke"):
        raise ValueError(f"unknown size {size!r} for configs/serve.py; use '' or 'smoke'")
    config = ml_collections.ConfigDict()
    config.model = "qwen2.5-coder-0.5b-instruct"
    config.dtype = "float32"            # compute dtype ("bfloat16" on accelerators)
    config.host = "127.0.0.1"           # "[::]" to accept other machines
    config.port = 9000                  # 0 picks a free port (printed at start)
    config.slots = 8
    config.max_prefill_length = 1024    # one of 16, 32, ..., 32768
    config.max_cache_length = 2048
    config.grpc_threads = 0             # 0: twice the slots, at least 16
    config.warm_up = True               # compile prefill and generate before accepting calls
    config.log_level = "WARNING"        # JetStream logs every step at INFO
    config.sampling = ml_collections.ConfigDict()
    config.sampling.temperature = 0.0
    config.sampling.top_p = 1.0
    config.sampling.top_k = 0
    config.sampling.seed = 0
    if size == "smoke":
        config.slots = 4
        config.max_prefill_length = 256
        config.max_cache_length = 512
    return config
