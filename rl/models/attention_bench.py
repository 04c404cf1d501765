"""Attention-kernel benchmark: the train step's forward and backward pass and KV-cache decode
with each attention implementation (`rl.models.attention`) on the same weights, in one run:

  python -m rl.models.attention_bench                             # CPU: einsum vs xla
  python -m rl.models.attention_bench --implementations einsum,cudnn --batch-sizes 1,64,256   # GPU
  python -m rl.models.attention_bench --kernel-only            # the attention call alone

"einsum" is the kernel the model had before `jax.nn.dot_product_attention` came in (grouped
einsums, float32 scores), so its rows are the "before" figures. Work: the 0.5B pack's
weights (or --model), --dtype compute; train: the gradient of the summed token log-probs of
--train-batch sequences of --train-tokens tokens, right-padded to the full length, remat on
as in the main job; decode: --batch-sizes rows of --prompt-tokens random prompt tokens and
--new-tokens greedy tokens (no stop tokens). Compilation is excluded (one untimed call per
shape); each figure is the best of --repeats timed calls, the implementations measured one
after the other for each figure, so that load from other jobs hits them at about the same time. Prints one JSON line per figure and a last line with
the ratios against the first implementation (> 1: faster than it).

--kernel-only times `rl.models.attention.attend` alone in the model's head shape (random q,
k, v; no weights loaded): its forward and gradient over the train batch, and one decode
step over a cache of prompt + new tokens at each batch size: the kernels without the rest
of the model around them, where a whole-model figure on a loaded machine is mostly noise.
"""
from __future__ import annotations

import argparse
import json
import time

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from rl.loaders.checkpoint import load_checkpoint
from rl.models import forward
from rl.models.attention import AttentionMask, attend
from rl.models.hf_weights import model_from_hf_tensors
from rl.sampling.sampler import Sampler


def _best_of(repeats: int, run) -> float:
    run()   # compile and warm up
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="qwen2.5-coder-0.5b-instruct")
    parser.add_argument("--implementations", default="einsum,xla")
    parser.add_argument("--dtype", default="bfloat16")
    parser.add_argument("--batch-sizes", default="1,8,64")
    parser.add_argument("--prompt-tokens", type=int, default=64)
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--train-batch", type=int, default=8)
    parser.add_argument("--train-tokens", type=int, default=192)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--kernel-only", action="store_true")
    args = parser.parse_args(argv)
    implementations = args.implementations.split(",")
    loaded = load_checkpoint(args.model)
    if args.kernel_only:
        figures = _kernel_figures(args, implementations, loaded.config.replace(dtype=args.dtype))
        _print_ratios(args, implementations, figures)
        return
    splits = {name: nnx.split(model_from_hf_tensors(
        loaded.config.replace(dtype=args.dtype, attention=name, remat=True), loaded.tensors))
        for name in implementations}
    vocab = loaded.config.vocab_size
    rng = np.random.RandomState(0)
    figures: dict[str, dict[str, float]] = {name: {} for name in implementations}

    tokens = jnp.asarray(rng.randint(0, vocab, (args.train_batch, args.train_tokens)), jnp.int32)
    key_mask = jnp.asarray(np.arange(args.train_tokens)[None, :]
                           < rng.randint(args.train_tokens // 2, args.train_tokens + 1, (args.train_batch, 1)))
    steps = {}
    for name, (graphdef, state) in splits.items():
        def loss(state, graphdef=graphdef):
            return forward.token_log_probs(graphdef, state, tokens, key_mask=key_mask).sum()
        steps[name] = jax.jit(jax.grad(loss))
    for name, (_, state) in splits.items():
        seconds = _best_of(args.repeats, lambda: jax.block_until_ready(steps[name](state)))
        figures[name]["train_step_s"] = seconds
        print(json.dumps({"implementation": name, "figure": "train_step_s", "batch": args.train_batch,
                          "tokens": args.train_tokens, "seconds": round(seconds, 4)}), flush=True)

    for batch in (int(b) for b in args.batch_sizes.split(",")):
        prompts = rng.randint(0, vocab, (batch, args.prompt_tokens)).tolist()
        for name, (graphdef, state) in splits.items():
            sampler = Sampler(graphdef, state)
            seconds = _best_of(args.repeats, lambda: sampler.sample(prompts, max_new_tokens=args.new_tokens))
            rate = batch * args.new_tokens / seconds
            figures[name][f"decode_b{batch}_tokens_per_s"] = rate
            print(json.dumps({"implementation": name, "figure": "decode_tokens_per_s", "batch": batch,
                              "tokens_per_s": round(rate, 1)}), flush=True)

    _print_ratios(args, implementations, figures)


def _kernel_figures(args, implementations, config) -> dict[str, dict[str, float]]:
    """The attention call alone: forward + gradient at the train shape, decode steps."""
    rng = np.random.RandomState(0)
    figures: dict[str, dict[str, float]] = {name: {} for name in implementations}

    def normal(*shape):
        return jnp.asarray(rng.randn(*shape), jnp.float32)

    batch, time_ = args.train_batch, args.train_tokens
    q, k, v = (normal(batch, time_, config.num_heads, config.head_dim),
               normal(batch, time_, config.num_kv_heads, config.head_dim),
               normal(batch, time_, config.num_kv_heads, config.head_dim))
    key_mask = jnp.asarray(np.arange(time_)[None, :] < rng.randint(time_ // 2, time_ + 1, (batch, 1)))
    mask = AttentionMask.causal_right_padded(batch, time_, key_mask)
    capacity = args.prompt_tokens + args.new_tokens
    for name in implementations:
        chosen = config.replace(attention=name)
        train = jax.jit(jax.grad(lambda q, k, v, c=chosen: (attend(q, k, v, mask, c) ** 2).sum(), argnums=(0, 1, 2)))
        figures[name]["train_step_s"] = _best_of(args.repeats, lambda: jax.block_until_ready(train(q, k, v)))
        print(json.dumps({"implementation": name, "figure": "kernel_train_s", "batch": batch, "tokens": time_,
                          "seconds": round(figures[name]["train_step_s"], 5)}), flush=True)
    for rows in (int(b) for b in args.batch_sizes.split(",")):
        step_q = normal(rows, 1, config.num_heads, config.head_dim)
        cache_k = normal(rows, capacity, config.num_kv_heads, config.head_dim).astype(config.dtype)
        cache_v = normal(rows, capacity, config.num_kv_heads, config.head_dim).astype(config.dtype)
        positions = jnp.asarray(rng.randint(args.prompt_tokens, capacity, (rows, 1)), jnp.int32)
        step_mask = AttentionMask.cached(positions, capacity)
        for name in implementations:
            chosen = config.replace(attention=name)
            step = jax.jit(lambda q, k, v, c=chosen: attend(q, k, v, step_mask, c))
            seconds = _best_of(max(args.repeats, 20), lambda: jax.block_until_ready(step(step_q, cache_k, cache_v)))
            figures[name][f"decode_b{rows}_step_s"] = seconds
            print(json.dumps({"implementation": name, "figure": "kernel_decode_step_s", "batch": rows,
                              "slots": capacity, "seconds": round(seconds, 6)}), flush=True)
    return figures


def _print_ratios(args, implementations, figures) -> None:
    base = implementations[0]
    ratios = {}
    for name in implementations[1:]:
        for figure, value in figures[name].items():
            reference = figures[base][figure]
            ratios[f"{name}/{figure}"] = round(reference / value if figure.endswith("_s") and "per_s" not in figure
                                               else value / reference, 3)
    print(json.dumps({"device": jax.devices()[0].device_kind, "dtype": args.dtype, "baseline": base,
                      "speed_vs_baseline": ratios}), flush=True)


if __name__ == "__main__":
    main()
