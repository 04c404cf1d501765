"""Converting a model pack once and caching the result: the chunks are assembled and checked
(`model_packs`), the GGUF is dequantised (`gguf_file`, `gguf_tokenizer`) and written as an
ordinary Hugging Face checkpoint directory (float32 safetensors, config.json, tokenizer.json,
chat template), so every later load is a memory-mapped safetensors read.

Layout: `<cache>/<sha256 of the GGUF>/model.gguf` and `.../<tied|untied>/` (the converted
checkpoint with `pack.json` written last). The cache root is `$XDG_CACHE_HOME` or ~/.cache,
under `synthcurriculum-rl/packs`. A file lock serialises processes converting the same pack.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
from pathlib import Path
from typing import Optional

from rl.loaders.gguf_file import load_gguf, open_gguf
from rl.loaders.gguf_tokenizer import tokenizer_from_gguf
from rl.loaders.hf_directory import write_hf_directory
from rl.loaders.model_packs import ModelPack, assemble_pack, chunk_signature, find_pack, locate_chunks

MARKER_FILE = "pack.json"


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "synthcurriculum-rl" / "packs"


def _cached(variant_dir: Path, expected_marker: dict) -> bool:
    marker_path = variant_dir / MARKER_FILE
    if not marker_path.is_file():
        return False
    try:
        return json.loads(marker_path.read_text()) == expected_marker
    except ValueError:
        return False


def pack_gguf_path(pack: ModelPack, cache_dir: Optional[Path] = None) -> Path:
    """The assembled, sha256-checked GGUF file of `pack` (assembled now if needed)."""
    chunks = locate_chunks(pack)
    root = (cache_dir or default_cache_dir()) / pack.sha256
    root.mkdir(parents=True, exist_ok=True)
    gguf_path = root / "model.gguf"
    signature_path = root / "chunks.json"
    signature = chunk_signature(chunks)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        current = signature_path.is_file() and json.loads(signature_path.read_text()) == signature
        if not (current and gguf_path.is_file()):
            assemble_pack(pack, chunks, gguf_path)
            signature_path.write_text(json.dumps(signature))
    return gguf_path


def prepare_pack(name: str, *, cache_dir: Optional[Path] = None,
                 tie_word_embeddings: Optional[bool] = None) -> Path:
    """The directory of the converted checkpoint of pack `name`, converting it on first use.

    `tie_word_embeddings` None means as the pack's original model (see `ModelPack`)."""
    pack = find_pack(name)
    if tie_word_embeddings is None:
        tie_word_embeddings = pack.tie_word_embeddings
    gguf_path = pack_gguf_path(pack, cache_dir)
    root = gguf_path.parent
    variant_dir = root / ("tied" if tie_word_embeddings else "untied")
    marker = {"pack": pack.name, "sha256": pack.sha256, "tie_word_embeddings": tie_word_embeddings,
              "chunks": json.loads((root / "chunks.json").read_text())}
    if _cached(variant_dir, marker):
        return variant_dir
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _cached(variant_dir, marker):
            return variant_dir
        staging = root / (variant_dir.name + ".converting")
        shutil.rmtree(staging, ignore_errors=True)
        config, tensors = load_gguf(gguf_path, tie_word_embeddings=tie_word_embeddings)
        write_hf_directory(staging, config, tensors)
        del tensors
        tokenizer_from_gguf(open_gguf(gguf_path)[1]).save(staging)
        (staging / MARKER_FILE).write_text(json.dumps(marker))
        shutil.rmtree(variant_dir, ignore_errors=True)
        os.replace(staging, variant_dir)
    return variant_dir
