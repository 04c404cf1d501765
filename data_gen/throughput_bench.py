"""Data-generation throughput of the in-process generator on this machine, before and after
in the same run:

    python -m data_gen.throughput_bench [--model qwen2.5-coder-0.5b-instruct] [--new-tokens 64]

- teacher calls: K concurrent chat requests answered one at a time (each its own prefill and
  decode loop at batch 1: the old behaviour) versus batched as they arrive (`agenerate`);
- student attempts: one prompt sampled M times with every row prefilled on its own versus one
  shared prefill copied to the M rows;
- structured decoding: decode tokens/s at batch 8 with and without a constraint (overhead);
- each environment's skeleton: automaton states, table memory and build time.

Greedy or sampled tokens at a fixed seed; compilation is excluded (one untimed warm-up per
shape); each figure is the best of --repeats calls, baseline and new interleaved.
"""
from __future__ import annotations

import argparse
import asyncio
import tempfile
import time

from data_gen.environments import make_environment
from rl.generation.in_process import InProcessGenerator
from rl.generation.types import GenerationRequest, Message
from rl.sampling.sampler import Sampler
from rl.sampling.token_automaton import ConstraintVocabulary, compile_regex

_WORDS = ("parse the input list and return the sorted unique values with their counts as a dictionary "
          "keyed by value, skipping negative numbers and strings that do not parse").split()


def _prompt(index: int, words: int) -> tuple[Message, ...]:
    text = " ".join(_WORDS[(index * 7 + i) % len(_WORDS)] for i in range(words))
    return (Message("system", "You write Python."), Message("user", f"Task {index}: {text}"))


def _best(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="qwen2.5-coder-0.5b-instruct")
    parser.add_argument("--dtype", default="bfloat16")
    parser.add_argument("--calls", type=int, default=8, help="K concurrent teacher calls")
    parser.add_argument("--attempts", type=int, default=8, help="M student attempts")
    parser.add_argument("--prompt-words", type=int, default=300)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    generator = InProcessGenerator.from_checkpoint(args.model, dtype=args.dtype)
    sampler = generator.sampler
    separate = Sampler(sampler.graphdef, sampler.state, pad_id=sampler.pad_id, share_prefill=False)
    separate_generator = InProcessGenerator(separate, generator.tokenizer, model_name=args.model)

    calls = [GenerationRequest(messages=_prompt(i, args.prompt_words), max_new_tokens=args.new_tokens,
                               temperature=0.0, seed=i) for i in range(args.calls)]
    prompt_tokens = sum(len(generator.prompt_ids(r)) for r in calls) / len(calls)

    def one_at_a_time():
        for request in calls:
            generator.generate([request])

    async def together():
        await asyncio.gather(*(generator.agenerate([request]) for request in calls))

    one_at_a_time(), asyncio.run(together())      # compile both shapes
    sequential = _best(one_at_a_time, args.repeats)
    batched = _best(lambda: asyncio.run(together()), args.repeats)
    print(f"teacher calls: {args.calls} concurrent requests of ~{prompt_tokens:.0f} prompt tokens, "
          f"{args.new_tokens} new tokens each")
    print(f"  one at a time: {sequential / args.calls:.2f} s per call; batched as they arrive: "
          f"{batched / args.calls:.2f} s per call; speed-up {sequential / batched:.2f}x")

    student = [GenerationRequest(messages=_prompt(99, args.prompt_words), n=args.attempts,
                                 max_new_tokens=args.new_tokens, temperature=1.0, seed=5)]
    separate_generator.generate(student), generator.generate(student)
    own = _best(lambda: separate_generator.generate(student), args.repeats)
    shared = _best(lambda: generator.generate(student), args.repeats)
    print(f"student attempts: M={args.attempts} of one prompt")
    print(f"  each row prefilled: {own / args.attempts:.2f} s per attempt; one shared prefill: "
          f"{shared / args.attempts:.2f} s per attempt; speed-up {own / shared:.2f}x")

    free = [GenerationRequest(messages=_prompt(i, 40), max_new_tokens=args.new_tokens, temperature=1.0, seed=i)
            for i in range(8)]
    bound = [GenerationRequest(messages=_prompt(i, 40), max_new_tokens=args.new_tokens, temperature=1.0, seed=i,
                               constraint=r"[^`]*") for i in range(8)]

    def rate(requests):
        results = generator.generate(requests)
        return sum(r.completions[0].completion_tokens for r in results)

    rate(free), rate(bound)
    timings = {"free": [], "bound": []}
    tokens = {}
    for _ in range(args.repeats):
        for name, requests in (("free", free), ("bound", bound)):
            started = time.perf_counter()
            tokens[name] = rate(requests)
            timings[name].append(time.perf_counter() - started)
    free_rate, bound_rate = tokens["free"] / min(timings["free"]), tokens["bound"] / min(timings["bound"])
    print(f"decode at batch 8: unconstrained {free_rate:.1f} tok/s, constrained {bound_rate:.1f} tok/s "
          f"(overhead {100 * (1 - bound_rate / free_rate):.1f}%)")

    vocabulary = ConstraintVocabulary.of(generator.tokenizer, sampler.logits_width)
    print("skeletons (states, table MiB, build s; built fresh, no cache):")
    with tempfile.TemporaryDirectory() as cache:
        for name in ("induction", "deduction", "abduction", "fuzzing"):
            skeleton = make_environment(name).skeleton
            for part, regex in (("head", skeleton.head_regex()), ("tail arity 1", skeleton.tail_regex(1)),
                                ("tail arity 2", skeleton.tail_regex(2))):
                started = time.perf_counter()
                automaton = compile_regex(regex, vocabulary, cache_dir=cache)
                print(f"  {name} {part}: {automaton.num_states} states, {automaton.nbytes / 2**20:.1f} MiB, "
                      f"{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
