"""One decoder-only transformer (Qwen2/2.5, Qwen3, Llama 3.x) in Flax NNX, its KV cache,
logical-axis sharding rules and the mapping from Hugging Face tensor names."""
