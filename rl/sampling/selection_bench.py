"""Cost of one token selection over the real vocabulary width on this machine: the
sampler's inverse-CDF draw (`rl.sampling.token_selection`) beside Gumbel-max, the method it
replaced, kept here as the baseline and timed in the same run:

    python -m rl.sampling.selection_bench [--vocab 151936] [--batch-sizes 8,32] [--repeats 20]

Random float32 logits; greedy (temperature 0) and sampled (temperature 0.7) rows; jitted,
compilation excluded; the figure is the median of --repeats calls, methods interleaved.
"""
from __future__ import annotations

import argparse
import statistics
import time

import jax
import jax.numpy as jnp

from rl.sampling.token_selection import SamplingSettings, select_tokens


def gumbel_max_select(logits: jax.Array, settings: SamplingSettings, keys: jax.Array):
    """The baseline: a Gumbel variate per vocabulary entry, argmax of logits / T + noise
    (no truncation: the bench uses top_p = 1 and top_k = 0)."""
    greedy = settings.temperature <= 0.0
    scaled = logits / jnp.where(greedy, 1.0, settings.temperature)[:, None]
    greedy_tokens = jnp.argmax(logits, axis=-1).astype(jnp.int32)

    def sample(_):
        noise = jax.vmap(lambda key: jax.random.gumbel(key, (logits.shape[-1],), jnp.float32))(keys)
        return jnp.where(greedy, greedy_tokens, jnp.argmax(scaled + noise, axis=-1).astype(jnp.int32))

    tokens = jax.lax.cond(jnp.all(greedy), lambda _: greedy_tokens, sample, None)
    log_probs = jax.nn.log_softmax(scaled, axis=-1)
    return tokens, jnp.take_along_axis(log_probs, tokens[:, None], axis=-1)[:, 0]


def _times(function, args, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        jax.block_until_ready(function(*args))
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vocab", type=int, default=151936)
    parser.add_argument("--batch-sizes", default="8,32")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    methods = {"gumbel-max (baseline)": jax.jit(gumbel_max_select), "inverse CDF (sampler)": jax.jit(select_tokens)}
    print(f"device: {jax.devices()[0].device_kind}; vocabulary {args.vocab}; median ms per call")
    print("| batch | temperature | gumbel-max ms | inverse CDF ms | speed-up |")
    print("|---|---|---|---|---|")
    for batch in (int(b) for b in args.batch_sizes.split(",")):
        logits = jax.random.normal(jax.random.key(0), (batch, args.vocab), jnp.float32)
        keys = jax.random.split(jax.random.key(1), batch)
        for temperature in (0.0, 0.7):
            call_args = (logits, SamplingSettings.uniform(batch, temperature), keys)
            times = {name: [] for name in methods}
            for function in methods.values():
                jax.block_until_ready(function(*call_args))   # compile
            for _ in range(args.repeats):
                for name, function in methods.items():
                    times[name] += _times(function, call_args, 1)
            baseline, new = (statistics.median(times[name]) * 1e3 for name in methods)
            print(f"| {batch} | {temperature} | {baseline:.1f} | {new:.1f} | {baseline / new:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
