"""Finding data_gen's shard files and reading their records without TensorFlow.

Shards are JSONL (one record's JSON per line) or TFRecord (one record's JSON, UTF-8, per
TFRecord entry). The TFRecord framing (length, masked CRC of the length, data, masked CRC
of the data) is parsed here in plain Python so hosts without TensorFlow read the same
records; CRCs are not verified, a truncated final entry is reported as torn. Shards may be on any
filesystem `configs.run_paths` reaches (gs://...).
"""
from __future__ import annotations

import os
import struct
from typing import Iterator, Sequence

from configs import run_paths

JSONL_SUFFIXES = (".jsonl",)
TFRECORD_MARKER = ".tfrecord"


def shard_kind(path: str) -> str:
    """'jsonl' or 'tfrecord', from the file name."""
    name = os.path.basename(path)
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if TFRECORD_MARKER in name:
        return "tfrecord"
    raise ValueError(f"shard {path!r} is neither JSONL (*.jsonl) nor TFRecord (*.tfrecord*); rename it or "
                     "leave it out of curriculum.data_files")


def resolve_shards(patterns: Sequence[str]) -> tuple[str, ...]:
    """Sorted, de-duplicated files matching the glob patterns; an error names patterns that match nothing."""
    paths, empty = set(), []
    for pattern in patterns:
        found = run_paths.glob(pattern)
        if not found:
            empty.append(pattern)
        paths.update(found)
    if empty:
        raise ValueError(f"curriculum data patterns matched no files: {empty}; point curriculum.data_files "
                         "(or curriculum.chain_files) at data_gen's output shards")
    for path in paths:
        shard_kind(path)
    return tuple(sorted(paths))


TORN_RECORD = "<torn tfrecord entry>"


def read_tfrecord_entries(path: str) -> Iterator[bytes]:
    """Entries of one TFRecord file; a truncated final entry yields TORN_RECORD (counted by the reader)."""
    with run_paths.open_file(path, "rb") as handle:
        while True:
            header = handle.read(12)
            if not header:
                return
            if len(header) < 12:
                yield TORN_RECORD.encode()
                return
            (length,) = struct.unpack("<Q", header[:8])
            data = handle.read(length)
            footer = handle.read(4)
            if len(data) < length or len(footer) < 4:
                yield TORN_RECORD.encode()
                return
            yield data


def read_shard_texts(paths: Sequence[str]) -> Iterator[str]:
    """Every record's JSON text from the shards, file by file in the given order."""
    for path in paths:
        if shard_kind(path) == "jsonl":
            with run_paths.open_lines(path) as handle:
                for line in handle:
                    if line.strip():
                        yield line
        else:
            for entry in read_tfrecord_entries(path):
                yield entry.decode("utf-8", errors="replace")
