"""Kill safety: a writer is SIGKILLed at a random moment (three seeds) while appending
shard records (data_gen/shards.py), writing a state file (rl/state_files.py) or saving
an orbax checkpoint (rl/checkpointing.py); the rerun resumes from what is on disk and
ends with exactly what an uninterrupted run ends with.

Each writer is a child process (`python -c` calling a function of this module) that
signals once it is under way; the kill then comes after a seeded random delay, while it
is still writing (each test checks that the child died of the kill, not of old age).
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEEDS = (0, 1, 2)


def _kill_at_random(function: str, args: list[str], ready: str, seed: int, window_s: float,
                    extra_env: dict | None = None) -> None:
    """Start `function(*args)` of this module in a child, SIGKILL it `window_s * U(0,1)`
    seconds after it creates `ready`, and check that it was still running."""
    code = f"import sys; from tests.rl.test_kill_safety import {function}; {function}(*sys.argv[1:])"
    env = dict(os.environ, **(extra_env or {}))
    child = subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not os.path.exists(ready):
            assert child.poll() is None, child.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the writer never got under way"
            time.sleep(0.005)
        time.sleep(random.Random(seed).uniform(0.0, window_s))
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=60) == -signal.SIGKILL, "the writer finished before the kill"
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stderr.close()


# ------------------------------------------------------------------ shard appends
RECORDS = 1500


def _record(index: int) -> dict:
    size = random.Random(index).randrange(1, 48 * 1024)
    return {"i": index, "payload": hashlib.sha256(str(index).encode()).hexdigest() * (size // 64 + 1)}


def append_records(path: str) -> None:
    """Append records 0..RECORDS-1, continuing after those already in the shard (the
    writer's own resume: a torn tail is cut on open)."""
    from data_gen.shards import ShardWriter, read_records

    with ShardWriter(path) as writer:
        done = [record["i"] for record in read_records(path, json.loads)]
        assert done == list(range(len(done))), "a record was lost or duplicated"
        for index in range(len(done), RECORDS):
            writer.write(_record(index))
            if index == len(done):
                open(path + ".ready", "w").close()


@pytest.mark.parametrize("seed", SEEDS)
def test_a_killed_shard_append_resumes_to_the_same_records(tmp_path, seed):
    from data_gen.shards import ReadStats, read_records

    path = str(tmp_path / "shard.jsonl")
    _kill_at_random("append_records", [path], path + ".ready", seed, window_s=0.4)
    with open(path, "rb") as handle:
        data = handle.read()
    complete = data.count(b"\n")
    assert 0 < complete < RECORDS
    append_records(path)  # the rerun
    stats = ReadStats()
    assert list(read_records(path, json.loads, stats)) == [_record(i) for i in range(RECORDS)]
    assert stats.read == RECORDS and not stats.skipped


# ------------------------------------------------------------------ state files
STATES = 400


def _next_state(state: dict | None) -> dict:
    n = -1 if state is None else state["n"]
    chain = hashlib.sha256(f"{'' if state is None else state['chain']}:{n + 1}".encode()).hexdigest()
    return {"n": n + 1, "chain": chain, "blob": chain * random.Random(n).randrange(1, 1000)}


def write_states(directory: str) -> None:
    """Advance a chained state file to n = STATES-1, from whatever state is on disk."""
    from rl.state_files import OutputDirLock, read_json_or_none, write_json_atomic

    path = os.path.join(directory, "state.json")
    with OutputDirLock(directory):
        state = read_json_or_none(path)
        first = True
        while state is None or state["n"] < STATES - 1:
            state = _next_state(state)
            write_json_atomic(path, state)
            time.sleep(0.003)   # paced, so a kill in the test's window lands mid-run even on a fast machine
            if first:
                open(os.path.join(directory, "ready"), "w").close()
                first = False


def _reference_state() -> dict:
    state = None
    for _ in range(STATES):
        state = _next_state(state)
    return state


@pytest.mark.parametrize("seed", SEEDS)
def test_a_killed_state_file_write_leaves_old_or_new_and_resumes(tmp_path, seed):
    from rl.state_files import read_json_or_none

    directory = str(tmp_path)
    _kill_at_random("write_states", [directory], os.path.join(directory, "ready"), seed, window_s=0.4)
    with open(os.path.join(directory, "state.json")) as handle:
        state = json.load(handle)  # never torn: a whole state, consistent with itself
    assert 0 <= state["n"] < STATES - 1
    previous = None
    for _ in range(state["n"] + 1):
        previous = _next_state(previous)
    assert state == previous
    write_states(directory)  # the rerun
    assert read_json_or_none(os.path.join(directory, "state.json")) == _reference_state()
    assert not [name for name in os.listdir(directory) if name.startswith(".tmp-")]


# ------------------------------------------------------------------ orbax checkpoints
SAVES = 10
JAX_ENV = {"JAX_PLATFORMS": "cpu"}


def _train_state(step: int, params: dict):
    import jax.numpy as jnp

    from rl.train_step import TrainState

    return TrainState(jnp.asarray(step, jnp.int32), params, (), None)


def _advance(params: dict, step: int) -> dict:
    """One 'training step': deterministic, and dependent on every earlier one."""
    import jax.numpy as jnp

    return {name: (value * 0.5 + step).astype(jnp.float32) for name, value in params.items()}


def _initial_params() -> dict:
    import jax.numpy as jnp

    return {"w": jnp.arange(64 * 64, dtype=jnp.float32).reshape(64, 64) / 7.0,
            "b": jnp.ones((64,), jnp.float32)}


def save_checkpoints(directory: str) -> None:
    """Train SAVES steps, checkpointing each (synchronously), from the latest checkpoint."""
    import jax

    from rl.checkpointing import Checkpointer

    rng = jax.random.key(0)
    with Checkpointer(directory, keep_last=2, async_save=False) as checkpointer:
        restored = checkpointer.restore_latest(_train_state(0, _initial_params()), rng)
        step = 0 if restored is None else restored.step
        params = _initial_params() if restored is None else restored.state.params
        first = True
        while step < SAVES:
            step += 1
            params = _advance(params, step)
            checkpointer.save(step, _train_state(step, params), rng, {"step": step})
            time.sleep(0.2)   # paced, so a kill in the test's window lands mid-run even on a fast machine
            if first:
                open(directory + ".ready", "w").close()
                first = False


@pytest.mark.parametrize("seed", SEEDS)
def test_a_killed_orbax_save_resumes_to_the_same_parameters(tmp_path, seed):
    import jax
    import numpy as np

    from rl.checkpointing import Checkpointer, complete_steps

    directory = str(tmp_path / "checkpoints")
    _kill_at_random("save_checkpoints", [directory], directory + ".ready", seed, window_s=1.0,
                    extra_env=JAX_ENV)
    assert complete_steps(directory) and max(complete_steps(directory)) < SAVES
    save_checkpoints(directory)  # the rerun
    reference = _initial_params()
    for step in range(1, SAVES + 1):
        reference = _advance(reference, step)
    with Checkpointer(directory, async_save=False) as checkpointer:
        restored = checkpointer.restore_latest(_train_state(0, _initial_params()), jax.random.key(0))
    assert restored.step == SAVES and int(restored.state.step) == SAVES
    assert restored.extra == {"step": SAVES}
    for name, value in reference.items():
        np.testing.assert_array_equal(np.asarray(restored.state.params[name]), np.asarray(value))
