"""JetStream server throughput over gRPC as a ratio to the in-process sampler, same model,
same prompts, same process:

    python -m rl.jetstream.benchmark --model qwen2.5-coder-0.5b-instruct --batch 8 \
        --prompt-tokens 64 --new-tokens 128

Both decode `batch` prompts of `prompt-tokens` tokens greedily for up to `new-tokens`
tokens (stopping at the model's stop tokens, so both make the same tokens); each is run
once to compile, then timed. Prints generated tokens per second for each and the ratio,
and the engine's own prefill/insert/generate loop without the server (which separates the
cost of the per-step host loop from that of JetStream's threads and gRPC).
"""
from __future__ import annotations

import argparse
import logging
import time

import jax
import numpy as np

from rl.generation.jetstream_client import JetStreamClient
from rl.generation.retrying import RetryPolicy
from rl.generation.types import GenerationRequest
from rl.jetstream.engine import PREFILL_BUCKETS, ModelEngine
from rl.jetstream.request_sampling import RequestSampling
from rl.jetstream.server import JetStreamServer
from rl.jetstream.tokenizer_adapter import JetStreamTokenizer
from rl.loaders.checkpoint import load_checkpoint
from rl.models.hf_weights import model_from_hf_tensors
from rl.sampling.sampler import Sampler


def _prompts(tokenizer, batch: int, prompt_tokens: int) -> list[list[int]]:
    """`batch` distinct chat prompts asking for code, cut or padded with text to `prompt_tokens`."""
    prompts = []
    for index in range(batch):
        request = (f"Write a Python function number {index} that sorts a list of integers "
                   "without using sorted(), with a docstring and three examples. ")
        ids = tokenizer.encode_chat([{"role": "user", "content": request * 4}])
        prompts.append(ids[-prompt_tokens:])
    return prompts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="qwen2.5-coder-0.5b-instruct")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--prompt-tokens", type=int, default=64)
    parser.add_argument("--new-tokens", type=int, default=128)
    args = parser.parse_args()

    logging.getLogger().setLevel(logging.WARNING)  # JetStream's import set it to DEBUG

    checkpoint = load_checkpoint(args.model)
    tokenizer = checkpoint.tokenizer
    model = model_from_hf_tensors(checkpoint.config, checkpoint.tensors)
    prompts = _prompts(tokenizer, args.batch, args.prompt_tokens)
    stops = tokenizer.stop_token_ids

    sampler = Sampler.from_model(model)

    def in_process() -> int:
        out = sampler.sample(prompts, max_new_tokens=args.new_tokens, temperature=0.0,
                             stop_token_ids=stops, rng=jax.random.key(0))
        return sum(len(tokens) for tokens in out.tokens)

    in_process()
    started = time.perf_counter()
    in_process_tokens = in_process()
    in_process_s = time.perf_counter() - started

    bucket = next(b for b in PREFILL_BUCKETS if b >= args.prompt_tokens)
    engine = ModelEngine(model, JetStreamTokenizer(tokenizer, args.model), slots=args.batch,
                         max_prefill_length=bucket, max_cache_length=bucket + args.new_tokens + 1,
                         default_sampling=RequestSampling(temperature=0.0))

    def engine_loop() -> int:
        """The engine's prefill/insert/generate called directly: no orchestrator, no gRPC."""
        params = engine.load_params()
        state = engine.init_decode_state()
        for slot, prompt in enumerate(prompts):
            padded = np.zeros((bucket,), np.int32)
            padded[: len(prompt)] = prompt
            state = engine.insert(engine.prefill(params=params, padded_tokens=padded, true_length=len(prompt)),
                                  state, slot)
        made = 0
        for _ in range(args.new_tokens):
            state, result = engine.generate(params, state)
            made += int(np.asarray(result.data)[:, 1].sum())
        return made

    engine_loop()
    started = time.perf_counter()
    engine_tokens = engine_loop()
    engine_s = time.perf_counter() - started

    server = JetStreamServer(engine)
    client = JetStreamClient(server.address, tokenizer, timeout_s=3600, retry=RetryPolicy(max_attempts=1),
                             max_concurrency=args.batch)
    requests = [GenerationRequest(prompt=tokenizer.decode(p, skip_special_tokens=False),
                                  max_new_tokens=args.new_tokens, temperature=0.0) for p in prompts]

    def served() -> int:
        results = client.generate(requests)
        return sum(r.completions[0].completion_tokens for r in results)

    try:
        served()
        started = time.perf_counter()
        served_tokens = served()
        served_s = time.perf_counter() - started
    finally:
        client.close()
        server.stop()

    in_process_rate = in_process_tokens / in_process_s
    served_rate = served_tokens / served_s
    print(f"model {args.model}, batch {args.batch}, {args.prompt_tokens}-token prompts, "
          f"up to {args.new_tokens} new tokens, greedy, device {jax.devices()[0].platform}")
    print(f"in-process sampler: {in_process_tokens} tokens in {in_process_s:.2f} s = {in_process_rate:.1f} tok/s")
    print(f"engine steps without server: {engine_tokens} tokens in {engine_s:.2f} s = "
          f"{engine_tokens / engine_s:.1f} tok/s")
    print(f"JetStream over gRPC: {served_tokens} tokens in {served_s:.2f} s = {served_rate:.1f} tok/s")
    print(f"ratio JetStream / in-process: {served_rate / in_process_rate:.3f}")


if __name__ == "__main__":
    main()
