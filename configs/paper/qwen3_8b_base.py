"""Qwen3-8B-Base at the paper's scale on a TPU v5p-32 slice (16 chips, 95 GiB HBM each).

    # one process per host of the slice (4 hosts), once per seed 0, 1, 2: the launcher
    # copies this checkout to every host, sets it up there (runsc, .venv with jax[tpu]) and
    # starts the processes detached, a log per host; the output directory is a bucket every
    # host reaches, and the model checkpoint must be on every host (or give its path there)
    scripts/launch_tpu_pod.sh --tpu my-v5p-32 --zone us-east5-a -- \\
        .venv/bin/python -m rl.train --config=configs/paper/qwen3_8b_base.py --config.train.seed=0 \\
        --config.output_dir=gs://my-bucket/paper/qwen3_8b_base/seed0

Mesh (data, fsdp, tensor) = (1, 16, 1): FSDP over all 16 chips. Memory estimate per chip
(configs/paper/memory.py, counted from the model's shape, not measured): 8.19B
parameters; training state 8.6 GiB (fp32 parameters, gradients and AdamW moments, plus a
bf16 copy, over 16 shards), activations 6.5 GiB, fp32 logits 9.3 GiB, rollout KV cache
18.0 GiB: total 42.4 GiB of 95. The base model has no chat template of its own; give
the checkpoint directory one (tokenizer_config.json) before training.
"""
from __future__ import annotations

from configs.paper import common, memory

MODEL_SHAPE = memory.ModelShape(vocab_size=151_936, hidden_size=4096, intermediate_size=12_288, num_layers=36,
                                num_heads=32, num_kv_heads=8, head_dim=128, qk_norm=True)
MESH = dict(data=1, fsdp=16, tensor=1)


def get_config(size: str = ""):
    if size not in ("",):
        raise ValueError(f"unknown size {size!r} for configs/paper/qwen3_8b_base.py; it has one size")
    return common.paper_config("checkpoints/Qwen3-8B-Base", "runs/paper/qwen3_8b_base", tpu="v5p-32", chips=16,
                               **MESH)
