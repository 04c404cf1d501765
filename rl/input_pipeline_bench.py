"""Input-pipeline throughput: prompts per second rendered, tokenized and batched, per host.

    python -m rl.input_pipeline_bench [--tokenizer_dir DIR] [--problems 20000] [--steps 40]

Writes synthetic induction-style problems to a temporary JSONL shard, then times both
input paths over `--steps` steps of `--prompts_per_step` prompts with the Qwen2.5-Coder
tokenizer and chat template (the converted model pack's directory). Catalog loading is
timed apart. The comparison line states what the Qwen3-8B TPU run would consume per host
under the assumptions given by the flags. Defaults: 256 prompts per step (G=8, so 2,048
rollouts), a v5p-64 slice (8 hosts of 4 chips), 60 s per step (about 8M generated tokens
at ~4K tokens per completion); dynamic-sampling refills at most triple that demand.

It lives in rl, not curriculum: like the trainer, it joins the curriculum's input pipeline
to the model's tokenizer (rl.loaders), and curriculum imports nothing of rl.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

from data_gen.records import Problem, StudentStats
from curriculum.catalog import Catalog
from curriculum.input_pipeline import build_iterator, load_catalog
from curriculum.settings import CurriculumSettings
from rl.loaders.tokenizer import Tokenizer

QWEN_PACK_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"


def default_tokenizer_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "synthcurriculum-rl", "packs", QWEN_PACK_SHA256, "tied")


def synthetic_problem(index: int) -> Problem:
    """An induction-shaped problem: a hint message plus visible input/output pairs (~1 KB of prompt)."""
    inputs = tuple(f"[{index % 97}, {index % 13}, 'word{index % 7}'] * {k + 1}" for k in range(6))
    outputs = tuple(f"{(index * (k + 3)) % 1009}" for k in range(6))
    pairs = "\n".join(f"f({a}) == {b}" for a, b in zip(inputs[:3], outputs[:3]))
    statement = (f"Find the Python function f. Hint {index}: it folds the list with a running total, "
                 "skips strings shorter than four characters and returns the final value modulo 1009.\n"
                 f"Visible examples:\n{pairs}\nWrite `def f(xs):` in a ```python block.")
    return Problem(id=f"bench{index:07d}", environment="induction", provenance="synthetic", statement=statement,
                   inputs=inputs, outputs=outputs, num_visible=3, family_id=f"fam{index // 4}",
                   student=StudentStats(32, index % 33))


def measure(settings: CurriculumSettings, catalog: Catalog, tokenizer, steps: int) -> float:
    """Prompts per second over `steps` batches (after the first, which pays for setup)."""
    iterator = build_iterator(settings, tokenizer, tokenizer.apply_chat_template,
                              pad_id=getattr(tokenizer, "pad_token_id", 0), catalog=catalog)
    next(iterator)
    start = time.perf_counter()
    prompts = sum(len(next(iterator).problem_ids) for _ in range(steps))
    return prompts / (time.perf_counter() - start)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokenizer_dir", default=default_tokenizer_dir())
    parser.add_argument("--problems", type=int, default=20_000)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--prompts_per_step", type=int, default=64)
    parser.add_argument("--schedule", default="classic")
    parser.add_argument("--qwen3_prompts_per_step", type=int, default=256)
    parser.add_argument("--qwen3_hosts", type=int, default=8)
    parser.add_argument("--qwen3_seconds_per_step", type=float, default=60.0)
    args = parser.parse_args(argv)

    if not os.path.isfile(os.path.join(args.tokenizer_dir, "tokenizer.json")):
        print(f"error: no tokenizer.json in {args.tokenizer_dir}; convert the model pack first "
              "(rl.loaders.pack_cache.prepare_pack) or pass --tokenizer_dir", file=sys.stderr)
        return 2
    tokenizer = Tokenizer.from_directory(args.tokenizer_dir)

    with tempfile.TemporaryDirectory(prefix="curriculum-bench-") as directory:
        shard = os.path.join(directory, "problems-00000.jsonl")
        with open(shard, "w") as handle:
            for index in range(args.problems):
                handle.write(synthetic_problem(index).to_json() + "\n")
        results = {}
        for backend in ("python", "tf"):
            if backend == "tf":
                import tensorflow  # noqa: F401  (lazy: only the tf backend needs it; imported before the clock starts)
            settings = CurriculumSettings(schedule=args.schedule, total_steps=10 * args.steps,
                                          prompts_per_step=args.prompts_per_step, data_files=(shard,),
                                          split="all", backend=backend, max_prompt_tokens=1024)
            start = time.perf_counter()
            catalog = load_catalog(settings)
            load_seconds = time.perf_counter() - start
            results[backend] = measure(settings, catalog, tokenizer, args.steps)
            print(f"{backend:>6}: catalog of {len(catalog)} problems read in {load_seconds:.2f} s; "
                  f"{results[backend]:,.0f} prompts/s rendered, tokenized and batched "
                  f"({args.steps} steps x {args.prompts_per_step} prompts)")
    need = args.qwen3_prompts_per_step / args.qwen3_hosts / args.qwen3_seconds_per_step
    print(f"Qwen3-8B TPU run (assumed {args.qwen3_prompts_per_step} prompts/step over {args.qwen3_hosts} hosts, "
          f"{args.qwen3_seconds_per_step:.0f} s/step): consumes {need:.2f} prompts/s per host; "
          f"the slower path here has {min(results.values()) / need:,.0f}x headroom")
    return 0


if __name__ == "__main__":
    sys.exit(main())
