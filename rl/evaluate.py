"""Command line: evaluate one policy checkpoint on the configured benchmarks.

    python -m rl.evaluate --config=configs/eval.py --config.checkpoint=PATH

`checkpoint` is a model pack name, a Hugging Face safetensors directory (a trainer's
export included: `checkpoint.export_directory`, written by rl.export with its tokenizer)
or a .gguf file; a path that does not exist or is not such a directory (an orbax training
checkpoint, say) is refused before the sandbox pool starts (rl.preflight). It is sampled
in-process unless `policy.backend` names a server. Writes eval_results.json,
eval_results.md, eval_samples.jsonl, TensorBoard scalars and the resolved config
(eval_config.json) to `output_dir`, prints the markdown table, and shows per-benchmark
progress with an ETA. The work itself is `rl.evaluation.checkpoint_run.evaluate`.
"""
from __future__ import annotations

import os
import sys

import ml_collections

from configs import run_paths
from rl.cli import run_with_config
from rl.evaluation.benchmark import GradingResources
from rl.evaluation.checkpoint_run import evaluate, sandbox_for
from rl.evaluation.report import RESULTS_MARKDOWN
from rl.evaluation.sampling import EvalSampling
from rl.evaluation.suite import build_benchmarks
from rl.generation.factory import make_text_generator

USAGE = "python -m rl.evaluate --config=configs/eval.py --config.checkpoint=PATH"


def main(config: ml_collections.ConfigDict) -> None:
    if not config.checkpoint:
        sys.exit("--config.checkpoint is empty; give a model pack name, a checkpoint directory or a .gguf file")
    print(f"evaluating {config.checkpoint} on {', '.join(config.eval.benchmarks)}", file=sys.stderr)
    with sandbox_for(config) as sandbox:
        try:  # the user's mistakes (a bad path, filter or checkpoint) end here with one message
            build_benchmarks(config.eval, GradingResources(sandbox, config.environments))
            EvalSampling.from_config(config.eval)
            generator = make_text_generator(config.policy)
        except ValueError as error:
            sys.exit(f"rl.evaluate: {error}")
        evaluate(config, generator, sandbox)
    with run_paths.open_file(os.path.join(config.output_dir, RESULTS_MARKDOWN)) as file:
        print(file.read(), end="")
    print(f"results in {config.output_dir}", file=sys.stderr)


if __name__ == "__main__":
    run_with_config(main, USAGE)
