"""Shared fixtures: one gVisor executor per test module, host-state probes."""
from __future__ import annotations

import hashlib
import os
import socket
import threading
from pathlib import Path

import pytest

from sandbox.executor import SandboxExecutor
from sandbox.types import Limits

HOST_SECRET = "host-secret-7f3a9c1e"
FAST_LIMITS = Limits(wall_time_per_test_s=2.0, wall_time_per_job_s=5.0, memory_mb=256,
                     processes=16, file_size_mb=4, output_bytes=100_000)

@pytest.fixture(scope="module")
def executor():
    os.environ["SANDBOX_HOST_SECRET"] = HOST_SECRET  # inherited by runsc; must not leak in
    with SandboxExecutor(workers=2, backend="gvisor", limits=FAST_LIMITS) as ex:
        yield ex


class Listener:
    """A TCP listener on the host's 127.0.0.1 that counts connections."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                connection, _ = self.socket.accept()
            except OSError:
                continue
            self.connections += 1
            connection.close()

    def close(self):
        self._stop.set()
        self._thread.join()
        self.socket.close()


def tree_digest(root: Path) -> str:
    """Hash of every file's path and content under `root` (host-unchanged checks)."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()
