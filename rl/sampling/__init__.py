"""Jitted, batched, KV-cached decoding over `rl.models`: token selection (temperature,
top-p, top-k), the prefill and one-step decode functions over slots (reused by the JetStream
engine), the `Sampler` that drives them with stop tokens and stop strings, and the benchmark."""
