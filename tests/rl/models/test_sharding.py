"""Sharded equals unsharded: forward and cached decode on 8 simulated CPU devices with data,
fsdp and tensor axes all 2 (run in a subprocess: the device count is fixed at jax start-up);
plus the rules table itself."""
import pytest
from jax.sharding import PartitionSpec

from rl import sharding
from tests.fixtures.device_count_check import run_check


def test_sharded_matches_single_device():
    report = run_check("tests.rl.models.sharded_check", timeout=600)
    assert report["forward"] < 1e-4 and report["prefill"] < 1e-4 and report["decode"] < 1e-4, report
    assert report["q_proj_spec"] == ["None", "fsdp", "tensor", "None"]   # layers whole, embed -> fsdp, heads -> tensor
    assert report["cache_spec"][:4] == ["None", "('data', 'fsdp')", "None", "tensor"]
    assert report["cache_devices"] == 8


def test_rules_skip_axes_that_do_not_divide_and_reuse_no_mesh_axis():
    class FakeMesh:
        shape = {"data": 2, "fsdp": 2, "tensor": 4}

    assert sharding.logical_spec(("embed", "mlp"), (64, 128), FakeMesh()) == PartitionSpec("fsdp", "tensor")
    assert sharding.logical_spec(("embed", "kv_heads", "head_dim"), (64, 2, 16), FakeMesh()) == \
        PartitionSpec("fsdp", None, None)
    assert sharding.logical_spec(("heads", "vocab")) == PartitionSpec("tensor", None)
    with pytest.raises(ValueError, match="no sharding rule"):
        sharding.logical_spec(("nonsense",))


def test_mesh_sizes_must_match_devices():
    with pytest.raises(ValueError, match="devices"):
        sharding.make_mesh(data=3, fsdp=1, tensor=1, devices=[object()] * 2)
