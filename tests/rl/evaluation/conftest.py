"""Shared fixtures of the evaluation tests: one gVisor sandbox pool for the session."""
import pytest


@pytest.fixture(scope="session")
def sandbox():
    from sandbox.executor import SandboxExecutor
    with SandboxExecutor() as executor:
        yield executor
