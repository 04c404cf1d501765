"""Shared fixtures for the environment tests: one gVisor sandbox pool for the session."""
from __future__ import annotations

import pytest

from sandbox.executor import SandboxExecutor


@pytest.fixture(scope="session")
def executor():
    with SandboxExecutor(workers=2) as pool:
        yield pool
