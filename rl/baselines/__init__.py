"""Baselines from other frameworks, run beside our benchmarks on the same weights and work.

The tunix baselines (`tunix_train_step`, `tunix_decode`, with `tunix_qwen2` building tunix's
own Qwen2 model from a Hugging Face directory) run in a separate virtual environment made
by `scripts/setup_tunix_env.sh`, as `.venv-tunix/bin/python -m rl.baselines.<name>` from the
repository root. So they import only numpy, jax, flax, optax, safetensors and (inside
functions) tunix: nothing else of this project, no TensorFlow, no torch; that also relies on
`rl/__init__.py` importing nothing. `tunix_subprocess` is the other side, in the project
venv: `rl.train_step_bench` and `rl.sampling.bench` use it to export their weights and
start the baselines when given `--tunix-python`.
"""
