"""The train-step benchmark's model-FLOP count (the numerator of its MFU): 6 x the model's
own matmul parameters per token plus PaLM's attention term, counted here independently
from the built model's parameter shapes."""
import numpy as np
from flax import nnx

from rl.loaders.random_init import random_hf_tensors
from rl.models.config import ModelConfig
from rl.models.hf_weights import model_from_hf_tensors
from rl.train_step_bench import training_flops_per_update


def test_flops_are_six_times_matmul_parameters_per_token_plus_attention():
    config = ModelConfig(architecture="qwen2", vocab_size=64, hidden_size=32, intermediate_size=48,
                         num_layers=2, num_heads=4, num_kv_heads=2, head_dim=8, qkv_bias=True,
                         tie_word_embeddings=True)
    model = model_from_hf_tensors(config, random_hf_tensors(config))
    sizes = {"/".join(map(str, path)): np.size(value) for path, value in nnx.to_flat_state(nnx.state(model, nnx.Param))
             if np.ndim(value) - (path[0] == "layers") >= 2}     # rank within one layer: norm scales are vectors
    matmul = sum(size for name, size in sizes.items()
                 if not name.startswith("embed_tokens") and not name.endswith("bias"))
    matmul += config.vocab_size * config.hidden_size          # the tied head is a matmul too
    batch, length = 3, 10
    attention = 12 * config.num_layers * config.num_heads * config.head_dim * length * batch * length
    assert training_flops_per_update(config, batch, length) == 6 * matmul * batch * length + attention
