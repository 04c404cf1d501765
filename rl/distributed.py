"""Several JAX processes (one per host) as one trainer: joining them, and exchanging what
each process holds of its own (objects, rows, flags).

Launch topology comes from the environment the launcher sets, never from the experiment
config (the same config runs on one host or a pod):

  JAX_COORDINATOR_ADDRESS  host:port of process 0's coordinator (JAX's own variable)
  JAX_NUM_PROCESSES        how many processes; unset or 1: a single process (no-op);
                           "auto": let JAX detect the cluster (Cloud TPU pod, SLURM, Open MPI)
  JAX_PROCESS_ID           this process's index in [0, JAX_NUM_PROCESSES)

`scripts/launch_tpu_pod.sh` sets them (on a TPU pod `auto`; with `--local N`, through
`python -m rl.launch_local`, explicit values on 127.0.0.1). Every helper below is the
identity, with no communication, when there is one process. Placing whole values on the
mesh and fetching arrays back to the host is `rl.sharding`'s.
"""
from __future__ import annotations

import dataclasses
import json
import os
from typing import Any, Mapping, Optional

import jax
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import NamedSharding

COORDINATOR_VARIABLE = "JAX_COORDINATOR_ADDRESS"
PROCESS_COUNT_VARIABLE = "JAX_NUM_PROCESSES"
PROCESS_ID_VARIABLE = "JAX_PROCESS_ID"
AUTO = "auto"


@dataclasses.dataclass(frozen=True)
class DistributedSettings:
    """Who this process is. `process_count` None means "ask JAX's cluster detection"."""

    coordinator_address: Optional[str] = None
    process_count: Optional[int] = 1
    process_id: Optional[int] = 0

    @property
    def single_process(self) -> bool:
        return self.process_count == 1

    @classmethod
    def from_environment(cls, environ: Optional[Mapping[str, str]] = None) -> "DistributedSettings":
        """Read the launcher's variables; a bad value raises one message naming the variable."""
        environ = os.environ if environ is None else environ
        count_text = environ.get(PROCESS_COUNT_VARIABLE, "").strip()
        address = environ.get(COORDINATOR_VARIABLE, "").strip() or None
        if count_text.lower() == AUTO:
            return cls(coordinator_address=address, process_count=None, process_id=None)
        if not count_text:
            return cls()
        count = _parse_int(PROCESS_COUNT_VARIABLE, count_text, minimum=1)
        if count == 1:
            return cls()
        if address is None:
            raise ValueError(f"{PROCESS_COUNT_VARIABLE}={count} needs {COORDINATOR_VARIABLE}=host:port "
                             "(the address of process 0, reachable from every host)")
        if ":" not in address:
            raise ValueError(f"{COORDINATOR_VARIABLE}={address!r} must be host:port, e.g. 10.0.0.2:8476")
        id_text = environ.get(PROCESS_ID_VARIABLE, "").strip()
        if not id_text:
            raise ValueError(f"{PROCESS_COUNT_VARIABLE}={count} needs {PROCESS_ID_VARIABLE} "
                             f"(this process's index, 0 to {count - 1})")
        process_id = _parse_int(PROCESS_ID_VARIABLE, id_text, minimum=0)
        if process_id >= count:
            raise ValueError(f"{PROCESS_ID_VARIABLE}={process_id} must be below {PROCESS_COUNT_VARIABLE}={count}")
        return cls(coordinator_address=address, process_count=count, process_id=process_id)


def _parse_int(name: str, text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name}={text!r} is not an integer") from None
    if value < minimum:
        raise ValueError(f"{name}={value} must be >= {minimum}")
    return value


def initialize(settings: Optional[DistributedSettings] = None) -> DistributedSettings:
    """Join the other processes (before any JAX computation); a no-op for one process or
    when this process already joined."""
    settings = settings or DistributedSettings.from_environment()
    if settings.single_process or jax.distributed.is_initialized():
        return settings
    try:
        jax.distributed.initialize(coordinator_address=settings.coordinator_address,
                                   num_processes=settings.process_count, process_id=settings.process_id)
    except RuntimeError as error:
        raise RuntimeError(
            f"could not join the other processes through {settings.coordinator_address or 'cluster detection'} "
            f"as process {settings.process_id} of {settings.process_count}: {str(error).splitlines()[0]} "
            "(jax.distributed must start before any JAX computation, and every process needs the same "
            f"{COORDINATOR_VARIABLE} and {PROCESS_COUNT_VARIABLE})") from None
    return settings


def is_primary() -> bool:
    """Process 0: the one that writes shared files (metrics, exports)."""
    return jax.process_index() == 0


def gather_objects(value: Any) -> list[Any]:
    """`value` (JSON-able) from every process, in process order."""
    if jax.process_count() == 1:
        return [value]
    encoded = np.frombuffer(json.dumps(value).encode("utf-8"), np.uint8)
    lengths = np.asarray(multihost_utils.process_allgather(np.int64(encoded.size))).reshape(-1)
    padded = np.zeros(int(lengths.max()), np.uint8)
    padded[:encoded.size] = encoded
    gathered = np.asarray(multihost_utils.process_allgather(padded)).reshape(len(lengths), -1)
    return [json.loads(bytes(row[:length]).decode("utf-8")) for row, length in zip(gathered, lengths)]


def gather_rows(local: np.ndarray) -> np.ndarray:
    """Concatenate every process's rows (same trailing shape) in process order."""
    if jax.process_count() == 1:
        return np.asarray(local)
    return np.asarray(multihost_utils.process_allgather(np.asarray(local), tiled=True))


def any_process(flag: bool) -> bool:
    """True on every process when `flag` is True on any (e.g. one host got SIGTERM)."""
    if jax.process_count() == 1:
        return bool(flag)
    return bool(gather_rows(np.asarray([flag], bool)).any())


def process_row_range(sharding: NamedSharding, global_rows: int) -> tuple[int, int]:
    """The rows [start, stop) of a `global_rows`-row batch that this process's devices hold."""
    slices = [index[0] for index in sharding.addressable_devices_indices_map((global_rows,)).values()]
    starts = sorted({s.start or 0 for s in slices})
    stops = sorted({global_rows if s.stop is None else s.stop for s in slices})
    start, stop = starts[0], stops[-1]
    held = sum(b - a for a, b in zip(starts, stops))
    if len(starts) != len(stops) or held != stop - start:
        raise ValueError(f"this process's devices hold rows {list(zip(starts, stops))} of the batch, not one "
                         "contiguous block; build the mesh from jax.devices() in process order")
    return start, stop


def global_batch(local_arrays: Mapping[str, np.ndarray], sharding: NamedSharding,
                 global_rows: int) -> dict[str, jax.Array]:
    """Arrays spanning the mesh from this process's rows (`process_row_range`) of each field."""
    return {name: jax.make_array_from_process_local_data(sharding, np.asarray(array),
                                                         (global_rows,) + np.shape(array)[1:])
            for name, array in local_arrays.items()}
