"""Append-only JSONL shards that survive a kill at any moment.

Owns `ShardWriter` (each record one complete line in a single append, fsynced when
the writer promises durability), `repair_torn_tail` and `read_records`. On open, a torn
last line (a kill mid-write) is cut off and counted; malformed lines elsewhere are
skipped and counted with their reason, never fatal (tests/rl/test_kill_safety.py kills
writers at random moments).

Shards may live on any filesystem `configs.run_paths` reaches. Off the local disk (gs://)
there is no O_APPEND, fsync or truncate: the writer appends through the scheme's file
object (tf.io.gfile re-uploads the object on each flush, so a durable record costs a
rewrite of the shard: fine for data generation's rate, one record per teacher call), a
failed write leaves its fragment for the next open to cut, and the repair rewrites the
object without its torn tail.
"""
from __future__ import annotations

import collections
import json
import os
from typing import Callable, Iterator, Optional, TypeVar

from configs import run_paths

T = TypeVar("T")


def repair_torn_tail(path: str) -> bool:
    """Cut a last line that lacks its newline (a write cut short). Returns True if it cut."""
    if not run_paths.is_local(path):
        return _repair_torn_tail_elsewhere(path)
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return False
    with open(path, "rb+") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return False
        # Walk back to the previous newline and truncate after it.
        position = size - 1
        chunk = 4096
        while position > 0:
            start = max(0, position - chunk)
            handle.seek(start)
            data = handle.read(position - start)
            cut = data.rfind(b"\n")
            if cut >= 0:
                handle.truncate(start + cut + 1)
                return True
            position = start
        handle.truncate(0)
        return True


def _repair_torn_tail_elsewhere(path: str) -> bool:
    """`repair_torn_tail` off the local disk: the object rewritten without its torn tail."""
    shard = run_paths.run_path(path)
    if not shard.exists():
        return False
    data = shard.read_bytes()
    if not data or data.endswith(b"\n"):
        return False
    shard.write_bytes(data[:data.rfind(b"\n") + 1])
    return True


class ShardWriter:
    """Appends records (objects with `to_json`) to one JSONL file, durably.

    Each record is encoded first and handed to the kernel as one `write` of the complete
    line on an O_APPEND descriptor (no user-space buffer can flush half a line); with
    `fsync` (the default) the line is on disk when `write` returns, and a newly created
    shard's directory entry is synced too. Should a write fail part-way (disk full), the
    file is cut back to its last complete line before the error propagates, so later
    appends never glue onto a fragment.
    """

    def __init__(self, path: str, fsync: bool = True):
        self.path = path
        self._fsync = fsync
        self._fd = -1
        self._remote = None
        if not run_paths.is_local(path):   # gs:// and other schemes: see the module docstring
            run_paths.makedirs(os.path.dirname(path))
            self.torn_tail_repaired = repair_torn_tail(path)
            self._remote = run_paths.open_file(path, "ab")
            return
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        self.torn_tail_repaired = repair_torn_tail(path)
        created = not os.path.exists(path)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        if created and fsync:
            _fsync_directory(directory)

    def write(self, record) -> None:
        line = record.to_json() if hasattr(record, "to_json") else json.dumps(record, sort_keys=True)
        if "\n" in line:
            raise ValueError("a JSONL record must serialise to a single line")
        if self._remote is not None:
            self._remote.write((line + "\n").encode("utf-8"))
            if self._fsync:
                self._remote.flush()
            return
        if self._fd < 0:
            raise ValueError(f"shard {self.path} is closed")
        data = memoryview((line + "\n").encode("utf-8"))
        size_before = os.fstat(self._fd).st_size
        try:
            while data:  # one write in practice; a short write is continued, never left
                data = data[os.write(self._fd, data):]
            if self._fsync:
                os.fsync(self._fd)
        except BaseException:
            try:
                os.ftruncate(self._fd, size_before)
            except OSError:
                pass  # a kill or a dead disk: the torn tail is cut on the next open
            raise

    def close(self) -> None:
        if self._remote is not None:
            self._remote.close()
            self._remote = None
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> "ShardWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _fsync_directory(directory: str) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class ReadStats:
    """Counts of records read and lines skipped, by reason."""

    def __init__(self):
        self.read = 0
        self.skipped: collections.Counter[str] = collections.Counter()

    def __repr__(self) -> str:
        return f"ReadStats(read={self.read}, skipped={dict(self.skipped)})"


def read_records(path: str, parse: Callable[[str], T], stats: Optional[ReadStats] = None) -> Iterator[T]:
    """Records of one shard; malformed lines are skipped and counted in `stats`."""
    stats = stats if stats is not None else ReadStats()
    if not run_paths.exists(path):
        return
    with run_paths.open_lines(path) as handle:
        for line in handle:
            if not line.endswith("\n"):
                stats.skipped["torn_last_line"] += 1
                continue
            if not line.strip():
                continue
            try:
                record = parse(line)
            except (ValueError, TypeError, KeyError) as error:
                stats.skipped[type(error).__name__] += 1
                continue
            stats.read += 1
            yield record
