"""The device mesh (axes data, fsdp, tensor) and the one table mapping logical axis names
to mesh axes. Parameters and caches name logical axes only; nothing else mentions mesh axes.

  make_mesh(data=1, fsdp=-1, tensor=1)       # -1: all remaining devices
  logical_spec(axes, shape, mesh)            # PartitionSpec; an axis that does not divide stays replicated
  state_shardings(state, mesh)               # NamedShardings matching an nnx state (for jit/device_put)
  shard_state(state, mesh)                   # place an nnx state on the mesh
  cache_shardings(cache, mesh), batch_sharding(mesh, rank)
  place(tree, shardings)                     # a value every process holds whole, onto the mesh
  place_rows(host_array, mesh)               # a per-row array split over the batch axes (any process count)
  place_whole(host_array, mesh)              # the same, replicated
  replicated_key(key, mesh)                  # a PRNG key held whole by every device
  to_host(tree)                              # numpy of every whole array, also across processes

This module owns moving values between hosts and the mesh; `rl.distributed` owns the
processes (joining them, exchanging each process's own rows).
"""
from __future__ import annotations

from typing import Optional, Sequence

import jax
import numpy as np
from flax import nnx
from jax.experimental import multihost_utils
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from rl.models.kv_cache import CACHE_LOGICAL_AXES

MESH_AXES = ("data", "fsdp", "tensor")

# logical name -> mesh axes it is split over (None: replicated).
LOGICAL_AXIS_RULES: dict[str, Optional[tuple[str, ...]]] = {
    "batch": ("data", "fsdp"),
    "vocab": ("tensor",),
    "embed": ("fsdp",),
    "heads": ("tensor",),
    "kv_heads": ("tensor",),
    "mlp": ("tensor",),
    "head_dim": None,
    "norm": None,
    "time": None,
    "cache_length": None,
    "layers": None,   # the leading axis of the stacked layer parameters and of the KV cache
}


def make_mesh(data: int = 1, fsdp: int = -1, tensor: int = 1,
              devices: Optional[Sequence[jax.Device]] = None) -> Mesh:
    """A mesh with axes (data, fsdp, tensor); one size may be -1 to take the remaining devices."""
    devices = list(devices if devices is not None else jax.devices())
    sizes = [data, fsdp, tensor]
    if sizes.count(-1) > 1:
        raise ValueError(f"at most one mesh axis size may be -1, got data={data} fsdp={fsdp} tensor={tensor}")
    known = int(np.prod([s for s in sizes if s != -1]))
    if -1 in sizes:
        if len(devices) % known:
            raise ValueError(f"{len(devices)} devices cannot be split into data={data} fsdp={fsdp} tensor={tensor}")
        sizes[sizes.index(-1)] = len(devices) // known
    if int(np.prod(sizes)) != len(devices):
        raise ValueError(
            f"mesh data={sizes[0]} x fsdp={sizes[1]} x tensor={sizes[2]} needs {int(np.prod(sizes))} devices; "
            f"{len(devices)} are available (set the sizes so their product matches, or use -1)"
        )
    return Mesh(np.asarray(devices).reshape(sizes), MESH_AXES)


def logical_spec(axes: Sequence[Optional[str]], shape: Optional[Sequence[int]] = None,
                 mesh: Optional[Mesh] = None) -> PartitionSpec:
    """PartitionSpec for logical `axes`; with shape and mesh, axes that would split unevenly stay whole."""
    used: set[str] = set()
    spec = []
    for index, name in enumerate(axes):
        if name is not None and name not in LOGICAL_AXIS_RULES:
            raise ValueError(f"logical axis {name!r} has no sharding rule; known: {', '.join(LOGICAL_AXIS_RULES)}")
        mesh_axes = tuple(a for a in (LOGICAL_AXIS_RULES.get(name) or ()) if a not in used)
        if mesh_axes and shape is not None and mesh is not None:
            if shape[index] % int(np.prod([mesh.shape[a] for a in mesh_axes])):
                mesh_axes = ()
        used.update(mesh_axes)
        spec.append(mesh_axes if len(mesh_axes) > 1 else (mesh_axes[0] if mesh_axes else None))
    return PartitionSpec(*spec)


def _variable_sharding(variable: nnx.Variable, mesh: Mesh) -> NamedSharding:
    axes = variable.get_metadata().get("logical_axes")
    if axes is None:
        return NamedSharding(mesh, PartitionSpec())
    return NamedSharding(mesh, logical_spec(axes, variable.shape, mesh))


def state_shardings(state: nnx.State, mesh: Mesh) -> nnx.State:
    """A pytree like `state` with a NamedSharding in place of each parameter value."""
    return jax.tree.map(
        lambda v: v.replace(_variable_sharding(v, mesh)), state, is_leaf=lambda x: isinstance(x, nnx.Variable)
    )


def shard_state(state: nnx.State, mesh: Mesh) -> nnx.State:
    """Place every parameter of `state` on `mesh` according to LOGICAL_AXIS_RULES."""
    return jax.device_put(state, state_shardings(state, mesh))


def batch_sharding(mesh: Mesh, rank: int, batch_size: Optional[int] = None) -> NamedSharding:
    """Sharding of an array whose first axis is the batch and whose other axes are whole."""
    axes = ("batch",) + (None,) * (rank - 1)
    shape = None if batch_size is None else (batch_size,) + (1,) * (rank - 1)
    return NamedSharding(mesh, logical_spec(axes, shape, mesh if shape else None))


def cache_shardings(cache, mesh: Mesh):
    """NamedShardings for a `KVCache` (batch over data/fsdp, kv heads over tensor)."""
    return jax.tree.map(lambda a: NamedSharding(mesh, logical_spec(CACHE_LOGICAL_AXES, a.shape, mesh)), cache)


def place(tree, shardings):
    """A pytree whose full value every process holds (same seed, same file) placed on
    `shardings` (a matching tree, or one sharding for a single array): each process fills
    only its own devices' shards. Leaves already placed so are returned as they are."""

    def place_leaf(leaf, sharding):
        if isinstance(leaf, jax.Array) and leaf.sharding == sharding:
            return leaf
        if isinstance(leaf, jax.Array) and not leaf.is_fully_addressable:
            return jax.jit(lambda x: x, out_shardings=sharding)(leaf)
        host = np.asarray(leaf)
        return jax.make_array_from_callback(host.shape, sharding, lambda index: host[index])

    return jax.tree.map(place_leaf, tree, shardings)


def place_rows(host: np.ndarray, mesh: Mesh) -> jax.Array:
    """A per-row array (first axis the batch) that every process holds whole, placed on `mesh`
    with its rows split over the batch axes (whole where they do not divide)."""
    host = np.asarray(host)
    return place(host, batch_sharding(mesh, host.ndim, host.shape[0]))


def place_whole(host: np.ndarray, mesh: Mesh) -> jax.Array:
    """An array that every process holds whole, replicated on every device of `mesh`."""
    return place(np.asarray(host), NamedSharding(mesh, PartitionSpec()))


def replicated_key(key: jax.Array, mesh: Mesh) -> jax.Array:
    """A PRNG key held whole by every device of `mesh` (so orbax can save it from any process)."""
    data = place_whole(np.asarray(jax.random.key_data(key)), mesh)
    return jax.random.wrap_key_data(data, impl=jax.random.key_impl(key))


def to_host(tree):
    """Every array leaf of `tree` as a whole numpy array on this process, also when other
    processes hold some of its shards (then a collective: every process calls it, with the
    same tree)."""

    def local(leaf) -> bool:
        return not isinstance(leaf, jax.Array) or leaf.is_fully_addressable or leaf.is_fully_replicated

    if all(local(leaf) for leaf in jax.tree.leaves(tree)):
        return jax.device_get(tree)
    return jax.tree.map(lambda leaf: np.asarray(jax.device_get(leaf)) if local(leaf)
                        else np.asarray(multihost_utils.process_allgather(leaf, tiled=True)), tree)
