"""Our safetensors reader/writer round-trips, bf16 included, and reads what `safetensors` writes."""
import ml_dtypes
import numpy as np
import pytest
from safetensors.numpy import save_file

from rl.loaders.errors import CheckpointError
from rl.loaders.safetensors_io import read_safetensors, write_safetensors


def test_round_trip_keeps_values_shapes_and_dtypes(tmp_path):
    rng = np.random.default_rng(0)
    tensors = {
        "a": rng.standard_normal((3, 5)).astype(np.float32),
        "b.bf16": rng.standard_normal((7,)).astype(ml_dtypes.bfloat16),
        "c": np.arange(6, dtype=np.int64).reshape(2, 3),
        "scalar": np.asarray(2.5, np.float16),
    }
    write_safetensors(tmp_path / "x.safetensors", tensors)
    loaded = read_safetensors(tmp_path / "x.safetensors")
    assert set(loaded) == set(tensors)
    for name, value in tensors.items():
        assert loaded[name].dtype == value.dtype and loaded[name].shape == value.shape
        np.testing.assert_array_equal(loaded[name], value)


def test_reads_files_written_by_the_safetensors_package(tmp_path):
    tensors = {"w": np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4), "i": np.arange(3, dtype=np.int32)}
    save_file(tensors, str(tmp_path / "y.safetensors"))
    loaded = read_safetensors(tmp_path / "y.safetensors")
    for name, value in tensors.items():
        np.testing.assert_array_equal(loaded[name], value)


def test_a_file_that_is_not_safetensors_is_named(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\xff" * 16)
    with pytest.raises(CheckpointError, match="bad.safetensors"):
        read_safetensors(bad)
