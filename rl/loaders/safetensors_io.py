"""Reading and writing .safetensors files as numpy arrays.

Reading parses the header itself and memory-maps the data, so nothing is copied until a
tensor is used and bfloat16 (via `ml_dtypes`, which jax ships) needs no torch.
"""
from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import Mapping

import ml_dtypes
import numpy as np

from rl.loaders.errors import CheckpointError

_DTYPES = {
    "F64": np.float64, "F32": np.float32, "F16": np.float16, "BF16": ml_dtypes.bfloat16,
    "I64": np.int64, "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_,
}
_DTYPE_NAMES = {np.dtype(dtype): name for name, dtype in _DTYPES.items()}


def read_safetensors(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """All tensors of one file, as read-only arrays backed by a memory map of the file."""
    path = Path(path)
    with open(path, "rb") as handle:
        prefix = handle.read(8)
        if len(prefix) < 8:
            raise CheckpointError(f"{path} is not a safetensors file (shorter than its 8-byte header length)")
        (header_length,) = struct.unpack("<Q", prefix)
        if header_length > path.stat().st_size:
            raise CheckpointError(f"{path} is not a safetensors file (header length {header_length} > file size)")
        try:
            header = json.loads(handle.read(header_length))
        except ValueError as error:
            raise CheckpointError(f"{path} has an unreadable safetensors header: {error}") from None
    header.pop("__metadata__", None)
    if not header:
        return {}
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + header_length)
    tensors = {}
    for name, entry in header.items():
        if entry["dtype"] not in _DTYPES:
            raise CheckpointError(f"tensor {name!r} in {path} has unsupported dtype {entry['dtype']}")
        start, end = entry["data_offsets"]
        dtype = np.dtype(_DTYPES[entry["dtype"]])
        tensors[name] = data[start:end].view(dtype).reshape(tuple(entry["shape"]))
    return tensors


def write_safetensors(path: str | os.PathLike, tensors: Mapping[str, np.ndarray]) -> None:
    """Write tensors (contiguous copies where needed) to one .safetensors file."""
    header, offset = {}, 0
    arrays = {}
    for name in sorted(tensors):
        array = np.asarray(tensors[name], order="C")  # (ascontiguousarray would make scalars 1-d)
        if array.dtype not in _DTYPE_NAMES:
            raise CheckpointError(f"tensor {name!r} has dtype {array.dtype}, which safetensors cannot store")
        header[name] = {"dtype": _DTYPE_NAMES[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + array.nbytes]}
        arrays[name] = array
        offset += array.nbytes
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)  # keep the data 8-byte aligned
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", len(encoded)))
        handle.write(encoded)
        for name in sorted(arrays):
            handle.write(memoryview(arrays[name].reshape(-1).view(np.uint8)))
