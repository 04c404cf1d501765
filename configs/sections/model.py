"""The `model` config section: which checkpoint, its numerics, and the sampler's shape buckets.

- `checkpoint`: a model pack name (`qwen2.5-coder-0.5b-instruct`, `qwen2.5-coder-1.5b-instruct`),
  a Hugging Face safetensors directory or a .gguf file (the paper's policies are
  Llama-3.1-8B-Instruct, Qwen3-8B-Base and Qwen2.5-32B; those load from HF directories).
- `dtype`: matmul input dtype (accumulation, norms, softmax and logits stay float32);
  `param_dtype`: how parameters are stored; `remat`: rematerialise each layer in the
  backward pass (rl.models.transformer); `attention`: the attention kernel, "auto" (cuDNN's
  fused kernel on a GPU with a 16-bit dtype, einsums elsewhere), "einsum", "xla" or "cudnn"
  (rl.models.attention).
- `sampler.prompt_bucket`: prompts are right-padded to a multiple of this, so new lengths
  reuse compiled code; `sampler.stop_check_interval`: decode steps between stop-string checks.
"""
from __future__ import annotations

import ml_collections

from configs.validation import one_of, require


def get_model_config(checkpoint: str = "qwen2.5-coder-0.5b-instruct", dtype: str = "float32",
                     param_dtype: str = "float32", remat: bool = False,
                     attention: str = "auto") -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.checkpoint = checkpoint
    config.dtype = dtype
    config.param_dtype = param_dtype
    config.remat = remat
    config.attention = attention
    config.sampler = ml_collections.ConfigDict(dict(prompt_bucket=32, stop_check_interval=16))
    return config


DTYPES = ("float32", "bfloat16", "float16")
# rl.models.config.ATTENTION_IMPLEMENTATIONS (configs import nothing of the project; a test ties them)
ATTENTION_IMPLEMENTATIONS = ("auto", "einsum", "xla", "cudnn")


def validate(section: ml_collections.ConfigDict, name: str = "model") -> None:
    require(bool(section.checkpoint), f"{name}.checkpoint", section.checkpoint,
            "give a model pack name, a checkpoint directory or a .gguf file")
    one_of(f"{name}.dtype", section.dtype, DTYPES)
    one_of(f"{name}.param_dtype", section.param_dtype, DTYPES)
    one_of(f"{name}.attention", section.get("attention", "auto"), ATTENTION_IMPLEMENTATIONS)
    require(not (section.get("attention") == "cudnn" and section.dtype == "float32"), f"{name}.attention",
            section.get("attention"), "cuDNN's fused kernel needs model.dtype bfloat16 or float16")
    require(section.sampler.prompt_bucket >= 1, f"{name}.sampler.prompt_bucket", section.sampler.prompt_bucket,
            "out of range, it must be >= 1")
    require(section.sampler.stop_check_interval >= 1, f"{name}.sampler.stop_check_interval",
            section.sampler.stop_check_interval, "out of range, it must be >= 1")
