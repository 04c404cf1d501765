"""One decoder-only transformer (Qwen2/2.5, Qwen3, Llama 3.x) in Flax NNX, its KV cache,
and the mapping from Hugging Face tensor names.

  config.ModelConfig        the family differences as fields
  transformer.Transformer   the NNX module (layers in layers.py, stored stacked and scanned
                            by layer_stack.py; rotary in rope.py)
  forward                   pure functions over nnx.split state: logits, token_log_probs,
                            prefill, decode_logits
  kv_cache.KVCache          keys/values [num_layers, batch, capacity, kv_heads, head_dim]
  hf_weights                model_from_hf_tensors(config, tensors, mesh=None)
Sharding rules live in rl/sharding.py. Imports nothing of data_gen or curriculum.
"""
