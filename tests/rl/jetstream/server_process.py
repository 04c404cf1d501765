"""Running `python -m data_gen.serve` in a subprocess for tests, until it prints its address."""
from __future__ import annotations

import contextlib
import os
import pathlib
import subprocess
import sys
import time

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]


@contextlib.contextmanager
def serve_in_subprocess(overrides, log_path: pathlib.Path, start_timeout_s: float = 300):
    """Start the server with `--config.<override>` flags; yield its host:port; stop it."""
    command = [sys.executable, "-m", "data_gen.serve", "--config=configs/serve.py",
               *[f"--config.{override}" for override in overrides]]
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                   env={**os.environ, "JAX_PLATFORMS": "cpu"})
    try:
        address = None
        deadline = time.monotonic() + start_timeout_s
        while address is None:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start; its log:\n{log_path.read_text()[-3000:]}")
            for line in log_path.read_text().splitlines():
                if line.startswith("serving "):
                    address = line.split()[1]
            time.sleep(0.2)
        yield address
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
