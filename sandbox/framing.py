"""Frames between the host, the fork server and its children: a 4-byte big-endian
length, then UTF-8 JSON. Standard library only (imported inside the sandbox)."""
from __future__ import annotations

import json
import os
import struct

HEADER = struct.Struct(">I")
MAX_FRAME_BYTES = 256 * 1024 * 1024


def write_frame(fd: int, message) -> None:
    data = json.dumps(message).encode("utf-8")
    payload = HEADER.pack(len(data)) + data
    view = memoryview(payload)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _read_exact(fd: int, size: int) -> bytes | None:
    chunks, remaining = [], size
    while remaining:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, max_bytes: int = MAX_FRAME_BYTES):
    """One framed message from a blocking fd, or None at end of stream.

    OverflowError for a frame over `max_bytes`; ValueError (or RecursionError for
    absurd nesting) for one that is not JSON: a reader of untrusted frames catches both.
    """
    header = _read_exact(fd, HEADER.size)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    if size > max_bytes:
        raise OverflowError(f"frame of {size} bytes exceeds {max_bytes}")
    data = _read_exact(fd, size)
    if data is None:
        return None
    return json.loads(data.decode("utf-8"))


class FrameBuffer:
    """Accumulates bytes from a non-blocking read and yields complete frames."""

    def __init__(self, max_bytes: int):
        self.data = bytearray()
        self.max_bytes = max_bytes
        self.total = 0

    def feed(self, chunk: bytes) -> list:
        self.total += len(chunk)
        self.data += chunk
        frames = []
        while len(self.data) >= HEADER.size:
            (size,) = HEADER.unpack(self.data[:HEADER.size])
            if size > self.max_bytes:
                raise OverflowError("result frame larger than the output limit")
            if len(self.data) < HEADER.size + size:
                break
            try:
                frames.append(json.loads(bytes(self.data[HEADER.size:HEADER.size + size])))
            except (RecursionError, MemoryError) as error:  # absurd nesting: not a frame
                raise ValueError(f"unreadable frame: {type(error).__name__}") from None
            del self.data[:HEADER.size + size]
        return frames
