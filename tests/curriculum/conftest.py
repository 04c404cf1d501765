import tempfile

import pytest


@pytest.fixture
def work_dir():
    """A private temporary directory (pytest's tmp_path roots are rotated by other concurrent pytest runs)."""
    with tempfile.TemporaryDirectory(prefix="curriculum-test-") as directory:
        yield directory
