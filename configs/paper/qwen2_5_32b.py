"""Qwen2.5-32B (base) at the paper's scale on a TPU v5p-128 slice (64 chips, 95 GiB HBM each).

    # one process per host of the slice (16 hosts), once per seed 0, 1, 2: the launcher
    # copies this checkout to every host, sets it up there (runsc, .venv with jax[tpu]) and
    # starts the processes detached, a log per host; the output directory is a bucket every
    # host reaches, and the model checkpoint must be on every host (or give its path there)
    scripts/launch_tpu_pod.sh --tpu my-v5p-128 --zone us-east5-a -- \\
        .venv/bin/python -m rl.train --config=configs/paper/qwen2_5_32b.py --config.train.seed=0 \\
        --config.output_dir=gs://my-bucket/paper/qwen2_5_32b/seed0

Mesh (data, fsdp, tensor) = (1, 16, 4): FSDP over 16 and tensor parallelism over 4 chips
(40 query and 8 KV heads split 4 ways), so each rollout row's decode is spread over 4
chips. Memory estimate per chip (configs/paper/memory.py, counted from the model's shape,
not measured): 32.76B parameters; training state 8.6 GiB (fp32 parameters, gradients and
AdamW moments, plus a bf16 copy, over 64 shards), activations 12.5 GiB, fp32 logits
2.3 GiB, rollout KV cache 8.0 GiB: total 31.4 GiB of 95.
"""
from __future__ import annotations

from configs.paper import common, memory

MODEL_SHAPE = memory.ModelShape(vocab_size=152_064, hidden_size=5120, intermediate_size=27_648, num_layers=64,
                                num_heads=40, num_kv_heads=8, head_dim=128, qkv_bias=True)
MESH = dict(data=1, fsdp=16, tensor=4)


def get_config(size: str = ""):
    if size not in ("",):
        raise ValueError(f"unknown size {size!r} for configs/paper/qwen2_5_32b.py; it has one size")
    return common.paper_config("checkpoints/Qwen2.5-32B", "runs/paper/qwen2_5_32b", tpu="v5p-128", chips=64,
                               **MESH)
