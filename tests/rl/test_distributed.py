"""rl/distributed.py in one process: reading the launcher's variables (and refusing bad
ones by name), and the helpers being exact identities when there is one process."""
import jax
import numpy as np
import pytest

from rl import distributed
from rl.sharding import batch_sharding, make_mesh


def test_no_variables_or_one_process_means_single_process():
    assert distributed.DistributedSettings.from_environment({}).single_process
    assert distributed.DistributedSettings.from_environment({"JAX_NUM_PROCESSES": "1"}).single_process
    assert distributed.initialize(distributed.DistributedSettings()).single_process
    assert not jax.distributed.is_initialized()


def test_explicit_variables_are_read():
    settings = distributed.DistributedSettings.from_environment(
        {"JAX_COORDINATOR_ADDRESS": "10.0.0.2:8476", "JAX_NUM_PROCESSES": "4", "JAX_PROCESS_ID": "3"})
    assert (settings.coordinator_address, settings.process_count, settings.process_id) == ("10.0.0.2:8476", 4, 3)
    assert not settings.single_process


def test_auto_leaves_everything_to_cluster_detection():
    settings = distributed.DistributedSettings.from_environment({"JAX_NUM_PROCESSES": "auto"})
    assert (settings.coordinator_address, settings.process_count, settings.process_id) == (None, None, None)
    assert not settings.single_process


@pytest.mark.parametrize("environ, named", [
    ({"JAX_NUM_PROCESSES": "2", "JAX_PROCESS_ID": "0"}, "JAX_COORDINATOR_ADDRESS"),
    ({"JAX_NUM_PROCESSES": "2", "JAX_COORDINATOR_ADDRESS": "h:1"}, "JAX_PROCESS_ID"),
    ({"JAX_NUM_PROCESSES": "2", "JAX_COORDINATOR_ADDRESS": "h:1", "JAX_PROCESS_ID": "2"}, "JAX_PROCESS_ID=2"),
    ({"JAX_NUM_PROCESSES": "two"}, "JAX_NUM_PROCESSES='two'"),
    ({"JAX_NUM_PROCESSES": "0"}, "JAX_NUM_PROCESSES=0"),
    ({"JAX_NUM_PROCESSES": "2", "JAX_COORDINATOR_ADDRESS": "localhost", "JAX_PROCESS_ID": "0"}, "host:port"),
])
def test_bad_variables_are_named(environ, named):
    with pytest.raises(ValueError, match=named.replace("(", r"\(")):
        distributed.DistributedSettings.from_environment(environ)


def test_gathers_are_identities_for_one_process():
    value = {"prompts": [[1, 2], [3]], "problems": ["{}"]}
    assert distributed.gather_objects(value) == [value]
    rows = np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(distributed.gather_rows(rows), rows)
    assert distributed.any_process(True) and not distributed.any_process(False)
    assert distributed.is_primary()


def test_global_batch_holds_every_row_on_the_mesh():
    mesh = make_mesh(data=1, fsdp=-1, tensor=1)
    sharding = batch_sharding(mesh, 1)
    rows = 4 * len(jax.devices())
    assert distributed.process_row_range(sharding, rows) == (0, rows)
    local = {"tokens": np.arange(rows * 3, dtype=np.int32).reshape(rows, 3),
             "rewards": np.arange(rows, dtype=np.float32)}
    batch = distributed.global_batch(local, sharding, rows)
    for name, array in local.items():
        assert batch[name].sharding == sharding
        np.testing.assert_array_equal(np.asarray(batch[name]), array)
