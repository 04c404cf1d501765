"""Train-step benchmark: seconds per GRPO update and peak memory of the pure train step on
a real model, the work of issue 9 (8 sequences of 64 prompt + 128 completion tokens, one
group of G=8, one update per rollout batch):

  python -m rl.train_step_bench                                   # bf16 compute, remat on
  python -m rl.train_step_bench --dtype float32 --no-remat --steps 4
  python -m rl.train_step_bench --model path/to/hf_checkpoint --batch 16
  python -m rl.train_step_bench --tunix-python .venv-tunix/bin/python   # tunix beside ours
  python -m rl.train_step_bench --model random-init:DIR --peak-tflops 989   # GPU: MFU, random weights

Each configuration runs in its own process (call the command once per row) so that peak
memory is the process's own: `peak_rss_gib` is the maximum resident set of the process,
model load included, and `rss_after_load_gib` the part that the load alone reached.
The step is compiled first (`compile_s`; `compiled_temp_gib` and `compiled_arguments_gib`
are XLA's own accounting of the executable's temporaries and inputs, so `--steps 0` sizes
a configuration without running it); the first run may still warm up, later runs are the
steady state. Prints one JSON line.

With --tunix-python (an interpreter of the venv `scripts/setup_tunix_env.sh` makes), the
same weights are written to a temporary Hugging Face directory and tunix's GRPO update
(`rl.baselines.tunix_train_step`) runs on the same batch, dtype and remat setting in a
child process first; then ours. Two more JSON lines follow ours: tunix's, and the
comparison (`step_time_ratio` = tunix / ours seconds per update: ours faster when > 1).
The two do not interleave: both training processes at once would need both memory peaks
at once (tunix's fp32 update alone peaks near 22 GB of this 24 GiB machine); each side's
line records the 1-minute load average when it started instead.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import tempfile
import time

import jax
import numpy as np
from flax import nnx

from configs.sections.grpo import get_grpo_config
from rl import sharding
from rl.baselines.tunix_subprocess import check_tunix_python, export_baseline_weights, run_tunix_baseline
from rl.loaders.checkpoint import load_checkpoint
from rl.models.hf_weights import model_from_hf_tensors
from rl.train_step import TrainStepSettings, create_train_state, make_optimizer, make_train_step, state_shardings


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20   # ru_maxrss is in KiB on Linux


def training_flops_per_update(config, batch: int, sequence_tokens: int) -> float:
    """Model FLOPs of one forward and backward pass over `batch` sequences of `sequence_tokens`,
    by PaLM's convention (Chowdhery et al. 2022, appendix B): 6 x the matmul parameters per
    token (the output head included, the embedding lookup not), plus 12 x layers x heads x
    head_dim x sequence length per token for attention. Rematerialised forwards are not
    counted: MFU is model FLOPs over time, whatever the hardware recomputes."""
    c = config
    attention = c.hidden_size * c.head_dim * (2 * c.num_heads + 2 * c.num_kv_heads)
    per_layer = attention + 3 * c.hidden_size * c.intermediate_size
    matmul_parameters = c.num_layers * per_layer + c.vocab_size * c.hidden_size
    tokens = batch * sequence_tokens
    return (6.0 * matmul_parameters * tokens
            + 12.0 * c.num_layers * c.num_heads * c.head_dim * sequence_tokens * tokens)


def synthetic_batch(batch: int, prompt_tokens: int, completion_tokens: int, vocab: int, seed: int = 0) -> dict:
    """Random tokens with the completion mask on the completion part and mixed rewards."""
    rng = np.random.default_rng(seed)
    total = prompt_tokens + completion_tokens
    completion_mask = np.zeros((batch, total - 1), np.float32)
    completion_mask[:, prompt_tokens - 1:] = 1.0
    rewards = (np.arange(batch) % 3 == 0).astype(np.float32)
    return dict(tokens=rng.integers(0, vocab, (batch, total)).astype(np.int32),
                key_mask=np.ones((batch, total), bool), completion_mask=completion_mask,
                behaviour_log_probs=np.full((batch, total - 1), -2.0, np.float32), rewards=rewards,
                truncated=np.zeros(batch, bool))


def run(model: str, dtype: str, remat: bool, steps: int, batch: int, prompt_tokens: int,
        completion_tokens: int, peak_tflops: float = 0.0, micro_batches: int = 1, attention: str = "auto") -> dict:
    load_average = os.getloadavg()[0]
    loaded = load_checkpoint(model)
    flops = training_flops_per_update(loaded.config, batch, prompt_tokens + completion_tokens)
    mesh = sharding.make_mesh(1, 1, 1, jax.devices()[:1])
    policy = model_from_hf_tensors(loaded.config.replace(dtype=dtype, remat=remat, attention=attention),
                                  loaded.tensors, mesh)
    vocab = loaded.config.vocab_size
    del loaded
    gc.collect()
    graphdef, params = nnx.split(policy)
    del policy
    config = get_grpo_config()
    config.group_size = batch
    config.micro_batches = micro_batches
    config.optimizer.learning_rate = 1e-6
    config.optimizer.warmup_steps = 0
    optimizer = make_optimizer(config.optimizer)
    state = create_train_state(params, optimizer)
    del params
    step = make_train_step(TrainStepSettings.from_config(config, temperature=1.0), graphdef, optimizer,
                           state_shardings(state), sharding.batch_sharding(mesh, 1), config.optimizer)
    after_load = peak_rss_gib()
    work = synthetic_batch(batch, prompt_tokens, completion_tokens, vocab)
    start = time.perf_counter()
    compiled = step.lower(state, jax.random.key(0), work).compile()
    compile_s = time.perf_counter() - start
    memory = compiled.memory_analysis()
    figures = {"model": model, "dtype": dtype, "remat": remat, "attention": attention, "batch": batch, "micro_batches": micro_batches,
               "prompt_tokens": prompt_tokens,
               "completion_tokens": completion_tokens, "compile_s": round(compile_s, 1),
               "compiled_temp_gib": round(memory.temp_size_in_bytes / 2 ** 30, 2) if memory else None,
               "compiled_arguments_gib": round(memory.argument_size_in_bytes / 2 ** 30, 2) if memory else None}
    times, losses = [], []
    for index in range(steps):
        start = time.perf_counter()
        state, metrics = compiled(state, jax.random.key(index), work)
        jax.block_until_ready(metrics)
        times.append(time.perf_counter() - start)
        losses.append(float(metrics["loss"]))
        print(f"step {index}: {times[-1]:.1f} s, loss {losses[-1]:.4f}", flush=True)
    if times:
        steady = times[1:] or times
        figures.update({
            "first_step_s_incl_compile": round(compile_s + times[0], 2),
            "steady_step_s": [round(t, 2) for t in steady], "median_step_s": round(float(np.median(steady)), 2),
            "tokens_per_s": round(batch * (prompt_tokens + completion_tokens) / float(np.median(steady)), 1),
            "model_tflop_per_s": round(flops / float(np.median(steady)) / 1e12, 2)})
        if peak_tflops > 0:
            figures["mfu"] = round(figures["model_tflop_per_s"] / peak_tflops, 4)
            figures["peak_tflops_assumed"] = peak_tflops
    figures["model_tflop_per_update"] = round(flops / 1e12, 3)
    return {**figures, "peak_rss_gib": round(peak_rss_gib(), 2), "rss_after_load_gib": round(after_load, 2),
            "device": jax.devices()[0].device_kind, "losses": losses, "load_average_1m_at_start": load_average}


def run_tunix(tunix_python: str, args: argparse.Namespace) -> dict:
    """tunix's update on the same weights and work, in a child process (see the docstring)."""
    loaded = load_checkpoint(args.model)
    with tempfile.TemporaryDirectory(prefix="tunix-baseline-") as directory:
        export_baseline_weights(loaded.config, loaded.tensors, directory)
        del loaded
        gc.collect()
        load_average = os.getloadavg()[0]
        result = run_tunix_baseline(tunix_python, "tunix_train_step", [
            "--model", directory, "--dtype", args.dtype, *([] if args.remat else ["--no-remat"]),
            "--steps", str(args.steps), "--batch", str(args.batch), "--group-size", str(args.batch),
            "--prompt-tokens", str(args.prompt_tokens), "--completion-tokens", str(args.completion_tokens)])
    result["model"] = args.model
    result["load_average_1m_at_start"] = load_average
    return result


def comparison(ours: dict, tunix: dict) -> dict:
    """Side-by-side figures; ratios > 1 mean ours is faster / smaller. The losses of each step
    agree closely when both sides do the same work (in float32 to about six digits)."""
    def ratio(theirs: float, ours: float):
        return round(theirs / ours, 2) if ours > 0 else None

    return {"comparison": "ours vs tunix " + tunix.get("tunix_version", "?"),
            "ours_median_step_s": ours["median_step_s"], "tunix_median_step_s": tunix["median_step_s"],
            "step_time_ratio": ratio(tunix["median_step_s"], ours["median_step_s"]),
            "ours_peak_rss_gib": ours["peak_rss_gib"], "tunix_peak_rss_gib": tunix["peak_rss_gib"],
            "peak_rss_ratio": ratio(tunix["peak_rss_gib"], ours["peak_rss_gib"]),
            "ours_losses": ours["losses"], "tunix_losses": tunix["losses"]}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="qwen2.5-coder-0.5b-instruct", help="pack name or checkpoint path")
    parser.add_argument("--dtype", default="bfloat16", choices=("bfloat16", "float32"))
    parser.add_argument("--no-remat", dest="remat", action="store_false")
    parser.add_argument("--attention", default="auto", choices=("auto", "einsum", "xla", "cudnn"),
                        help="the attention kernel (rl.models.attention; auto: cuDNN's on a GPU in bf16)")
    parser.add_argument("--steps", type=int, default=3, help="timed runs (0: compile and size only)")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--micro-batches", type=int, default=1, help="gradient accumulation within the update")
    parser.add_argument("--prompt-tokens", type=int, default=64)
    parser.add_argument("--completion-tokens", type=int, default=128)
    parser.add_argument("--tunix-python", default="",
                        help="python of the tunix venv (scripts/setup_tunix_env.sh): run tunix's update beside ours")
    parser.add_argument("--peak-tflops", type=float, default=0.0,
                        help="the device's peak rate in the compute dtype: report MFU against it "
                             "(e.g. 989 for bf16 dense on an H100/H200 SXM, by NVIDIA's datasheet)")
    args = parser.parse_args(argv)
    if args.tunix_python:
        if args.steps < 1:
            parser.error("--tunix-python compares timed steps: give --steps >= 1")
        check_tunix_python(args.tunix_python)
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    tunix = run_tunix(args.tunix_python, args) if args.tunix_python else None
    ours = run(args.model, args.dtype, args.remat, args.steps, args.batch, args.prompt_tokens,
               args.completion_tokens, args.peak_tflops, args.micro_batches, args.attention)
    print(json.dumps(ours), flush=True)
    if tunix is not None:
        print(json.dumps(tunix), flush=True)
        print(json.dumps(comparison(ours, tunix)), flush=True)


if __name__ == "__main__":
    main()
