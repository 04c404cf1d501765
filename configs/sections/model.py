"""The `model` config section: which checkpoint, its numerics, and the sampler's shape buckets.

- `checkpoint`: a model pack name (`qwen2.5-coder-0.5b-instruct`, `qwen2.5-coder-1.5b-instruct`),
  a Hugging Face safetensors directory or a .gguf file (the paper's policies are
  Llama-3.1-8B-Instruct, Qwen3-8B-Base and Qwen2.5-32B; those load from HF directories).
- `dtype`: matmul input dtype (accumulation, norms, softmax and logits stay float32);
  `param_dtype`: how parameters are stored; `remat`: rematerialise each layer in the
  backward pass (rl.models.transformer).
- `sampler.prompt_bucket`: prompts are right-padded to a multiple of this, so new lengths
  reuse compiled code; `sampler.stop_check_interval`: decode steps between stop-string checks.
"""
from __future__ import annotations

import ml_collections


def get_model_config(checkpoint: str = "qwen2.5-coder-0.5b-instruct", dtype: str = "float32",
                     param_dtype: str = "float32", remat: bool = False) -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.checkpoint = checkpoint
    config.dtype = dtype
    config.param_dtype = param_dtype
    config.remat = remat
    config.sampler = ml_collections.ConfigDict(dict(prompt_bucket=32, stop_check_interval=16))
    return config
