"""rl.sharding's placement in one process: whole values onto the mesh and back keep their
values, placed leaves are not copied again, and a replicated key draws as the original."""
import jax
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec

from rl.sharding import batch_sharding, make_mesh, place, place_rows, place_whole, replicated_key, to_host


def test_place_keeps_values_and_leaves_placed_leaves_alone():
    mesh = make_mesh(data=1, fsdp=-1, tensor=1)
    replicated = NamedSharding(mesh, PartitionSpec())
    tree = {"w": np.arange(8.0).reshape(2, 4)}
    placed = place(tree, {"w": replicated})
    assert placed["w"].sharding == replicated
    np.testing.assert_array_equal(np.asarray(placed["w"]), tree["w"])
    assert place(placed, {"w": replicated})["w"] is placed["w"]


def test_rows_and_whole_round_trip_through_the_host():
    mesh = make_mesh(data=1, fsdp=-1, tensor=1)
    rows = np.arange(12, dtype=np.int32).reshape(4, 3)
    on_mesh = place_rows(rows, mesh)
    assert on_mesh.sharding == batch_sharding(mesh, 2, 4)
    whole = place_whole(np.float32(2.5), mesh)
    assert whole.sharding.is_fully_replicated
    back = to_host({"rows": on_mesh, "whole": whole, "plain": [1, 2]})
    assert isinstance(back["rows"], np.ndarray)
    np.testing.assert_array_equal(back["rows"], rows)
    assert float(back["whole"]) == 2.5 and back["plain"] == [1, 2]


def test_replicated_key_draws_as_the_original():
    mesh = make_mesh(data=1, fsdp=-1, tensor=1)
    key = jax.random.key(7)
    global_key = replicated_key(key, mesh)
    assert global_key.sharding.is_fully_replicated
    np.testing.assert_array_equal(jax.random.key_data(global_key), jax.random.key_data(key))
    np.testing.assert_array_equal(jax.random.uniform(global_key, (3,)), jax.random.uniform(key, (3,)))
