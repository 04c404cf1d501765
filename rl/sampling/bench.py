"""Decode benchmark: new tokens per second of the KV-cache sampler beside transformers'
`generate`, on the same weights, the same prompts and in the same run.

  python -m rl.sampling.bench                                  # CPU: batch 1, 8, 64
  python -m rl.sampling.bench --device gpu                     # GPU: batch 1, 64, 256, bf16
  python -m rl.sampling.bench --batch-sizes 8 --dtypes float32,bfloat16 --repeats 2
  python -m rl.sampling.bench --tunix-python .venv-tunix/bin/python   # tunix's sampler too

Work per batch size: random prompts of --prompt-tokens tokens (fixed seed), --new-tokens
greedy tokens, no stop tokens (every row runs to the limit). Compilation is excluded (one
untimed warm-up call per shape); each figure is the best of --repeats timed calls, ours and
transformers' interleaved, so load from other jobs on a shared machine hits both alike.

With --tunix-python (an interpreter of the venv `scripts/setup_tunix_env.sh` makes), the
same weights go to a temporary Hugging Face directory and tunix's KV-cache sampler
(`rl.baselines.tunix_decode`, in a worker process, parameters and compute in the first of
--dtypes) decodes the same prompt ids, its timed calls interleaved with ours. Its columns
give its rate, ours / tunix (ours faster when > 1) and the fraction of greedy tokens that
equal ours (a check that both decode the same model; near-ties may flip a few).
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import tempfile
import time
import warnings
from pathlib import Path

import jax
import numpy as np

from rl.baselines.tunix_subprocess import TunixDecodeWorker, check_tunix_python, export_baseline_weights
from rl.loaders.checkpoint import load_checkpoint
from rl.models.config import ModelConfig
from rl.models.hf_weights import model_from_hf_tensors
from rl.sampling.sampler import Sampler

_HF_CONFIG_CLASSES = {"qwen2": "Qwen2Config", "qwen3": "Qwen3Config", "llama": "LlamaConfig"}
_HF_MODEL_CLASSES = {"qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM", "llama": "LlamaForCausalLM"}


def transformers_model(config: ModelConfig, tensors, torch_dtype: str):
    """The transformers model of `config` holding `tensors` (the same weights as ours)."""
    import torch  # lazy: the transformers reference is optional (the dev extra), not needed for our own timings
    import transformers  # lazy: optional reference (the dev extra)

    hf_config = getattr(transformers, _HF_CONFIG_CLASSES[config.architecture])(
        vocab_size=config.vocab_size, hidden_size=config.hidden_size,
        intermediate_size=config.intermediate_size, num_hidden_layers=config.num_layers,
        num_attention_heads=config.num_heads, num_key_value_heads=config.num_kv_heads, head_dim=config.head_dim,
        rope_theta=config.rope_theta, rope_scaling=dict(config.rope_scaling) if config.rope_scaling else None,
        rms_norm_eps=config.rms_norm_eps, tie_word_embeddings=config.tie_word_embeddings,
        max_position_embeddings=config.max_position_embeddings,
    )
    model = getattr(transformers, _HF_MODEL_CLASSES[config.architecture])(hf_config)
    with warnings.catch_warnings():  # cached tensors are read-only memory maps; load_state_dict copies them
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        state = {name: torch.from_numpy(np.asarray(value)) for name, value in tensors.items()}
    if config.tie_word_embeddings:
        state.setdefault("lm_head.weight", state["model.embed_tokens.weight"])
    model.load_state_dict(state, strict=True)
    return model.to(getattr(torch, torch_dtype)).eval()


def time_transformers(model, prompts: np.ndarray, new_tokens: int, device: str) -> float:
    import torch  # lazy: optional reference (the dev extra)

    inputs = torch.from_numpy(prompts.astype(np.int64)).to(device)
    start = time.perf_counter()
    with torch.no_grad():
        output = model.generate(inputs, attention_mask=torch.ones_like(inputs), max_new_tokens=new_tokens,
                                min_new_tokens=new_tokens, do_sample=False, eos_token_id=None, pad_token_id=0)
    if device == "cuda":
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - start
    assert output.shape[1] == prompts.shape[1] + new_tokens
    return elapsed


def time_sampler(sampler: Sampler, prompts: np.ndarray, new_tokens: int) -> float:
    start = time.perf_counter()
    out = sampler.sample(prompts.tolist(), max_new_tokens=new_tokens)
    elapsed = time.perf_counter() - start
    assert all(len(t) == new_tokens for t in out.tokens)
    return elapsed


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="qwen2.5-coder-0.5b-instruct",
                        help="model pack name, Hugging Face directory or .gguf file")
    parser.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    parser.add_argument("--batch-sizes", default=None, help="comma-separated; default 1,8,64 (cpu) / 1,64,256 (gpu)")
    parser.add_argument("--dtypes", default=None, help="our matmul dtypes, comma-separated; default float32 (cpu) / bfloat16 (gpu)")
    parser.add_argument("--torch-dtype", default=None, help="transformers' dtype; default float32 (cpu) / bfloat16 (gpu)")
    parser.add_argument("--prompt-tokens", type=int, default=64)
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--skip-transformers", action="store_true")
    parser.add_argument("--tunix-python", default="",
                        help="python of the tunix venv (scripts/setup_tunix_env.sh): time tunix's sampler too")
    args = parser.parse_args(argv)
    if args.tunix_python:
        check_tunix_python(args.tunix_python)
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    gpu = args.device == "gpu"
    batch_sizes = [int(b) for b in (args.batch_sizes or ("1,64,256" if gpu else "1,8,64")).split(",")]
    dtypes = (args.dtypes or ("bfloat16" if gpu else "float32")).split(",")
    torch_dtype = args.torch_dtype or ("bfloat16" if gpu else "float32")
    with contextlib.ExitStack() as cleanup:
        work_dir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="decode-bench-")))
        run_benchmark(args, batch_sizes, dtypes, torch_dtype, work_dir, cleanup)


def run_benchmark(args: argparse.Namespace, batch_sizes: list[int], dtypes: list[str], torch_dtype: str,
                  work_dir: Path, cleanup: contextlib.ExitStack) -> None:
    gpu = args.device == "gpu"
    loaded = load_checkpoint(args.model)
    print(f"model {loaded.name}: {loaded.config.num_layers} layers, jax devices {jax.devices()}", flush=True)
    tunix = None
    if args.tunix_python:
        export_baseline_weights(loaded.config, loaded.tensors, work_dir / "weights")
        tunix = cleanup.enter_context(TunixDecodeWorker(args.tunix_python, work_dir / "weights", dtypes[0]))
    hf_model = None
    if not args.skip_transformers:
        hf_model = transformers_model(loaded.config, loaded.tensors, torch_dtype)
        if gpu:
            hf_model = hf_model.to("cuda")
    samplers = {}
    for dtype in dtypes:
        config = loaded.config.replace(dtype=dtype, param_dtype=dtype)
        samplers[dtype] = Sampler.from_model(model_from_hf_tensors(config, loaded.tensors))
    vocab_size = loaded.config.vocab_size
    del loaded
    gc.collect()

    rng = np.random.RandomState(0)
    rows = []
    for batch in batch_sizes:
        prompts = rng.randint(0, min(vocab_size, 20000), (batch, args.prompt_tokens))
        greedy = {dtype: sampler.sample(prompts.tolist(), max_new_tokens=args.new_tokens).tokens
                  for dtype, sampler in samplers.items()}  # compile outside the timing
        tunix_seconds, agreement = [], {dtype: float("nan") for dtype in samplers}
        if tunix is not None:
            prompts_path = work_dir / f"prompts_batch{batch}.npy"
            np.save(prompts_path, prompts)
            tunix_tokens = np.asarray(tunix.decode(prompts_path, args.new_tokens, return_tokens=True)["tokens"])
            agreement = {dtype: float(np.mean(tunix_tokens == np.asarray(tokens))) for dtype, tokens in greedy.items()}
        ours = {dtype: [] for dtype in samplers}
        theirs = []
        for _ in range(args.repeats):
            for dtype, sampler in samplers.items():
                ours[dtype].append(time_sampler(sampler, prompts, args.new_tokens))
            if hf_model is not None:
                theirs.append(time_transformers(hf_model, prompts, args.new_tokens, "cuda" if gpu else "cpu"))
            if tunix is not None:
                tunix_seconds.append(tunix.decode(prompts_path, args.new_tokens)["seconds"])
        generated = batch * args.new_tokens
        reference = generated / min(theirs) if theirs else float("nan")
        tunix_rate = generated / min(tunix_seconds) if tunix_seconds else float("nan")
        for dtype, seconds in ours.items():
            rate = generated / min(seconds)
            rows.append((batch, dtype, rate, reference, tunix_rate, agreement[dtype]))
            line = (f"batch {batch:4d}  ours[{dtype}] {rate:9.1f} tok/s   transformers[{torch_dtype}] "
                    f"{reference:9.1f} tok/s   ratio {rate / reference:5.2f}x")
            if tunix is not None:
                line += (f"   tunix[{dtypes[0]}] {tunix_rate:9.1f} tok/s   ours/tunix {rate / tunix_rate:5.2f}x"
                         f"   same greedy tokens {agreement[dtype]:.3f}")
            print(line, flush=True)
    print_table(rows, tunix.ready if tunix is not None else None)


def print_table(rows, tunix_ready) -> None:
    """The markdown table; tunix's columns only when it ran (`tunix_ready` is its ready line,
    naming its device: the tunix venv's jax may be CPU-only while ours runs on a GPU)."""
    tunix_heading = ""
    if tunix_ready:
        tunix_heading = (f" tunix {tunix_ready.get('tunix_version', '?')} [{tunix_ready.get('dtype', '?')}, "
                         f"{tunix_ready.get('device', '?')}] tok/s |"
                         " ours/tunix | same greedy tokens |")
    print("\n| batch | ours dtype | ours tok/s | transformers tok/s | ratio |" + tunix_heading)
    print("| --- | --- | --- | --- | --- |" + (" --- | --- | --- |" if tunix_ready else ""))
    for batch, dtype, rate, reference, tunix_rate, agreement in rows:
        line = f"| {batch} | {dtype} | {rate:.1f} | {reference:.1f} | {rate / reference:.2f}x |"
        if tunix_ready:
            line += f" {tunix_rate:.1f} | {rate / tunix_rate:.2f}x | {agreement:.3f} |"
        print(line)


if __name__ == "__main__":
    main()
