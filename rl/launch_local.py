"""Start N processes of one command on this machine, joined as one JAX job (the local twin
of a TPU pod launch, for tests and debugging):

    python -m rl.launch_local --num_processes=2 --devices_per_process=1 -- \
        python -m rl.train --config=configs/train.py

Each process gets the variables rl/distributed.py reads (a coordinator on 127.0.0.1 at a
free port, the process count and its id) and, with --devices_per_process, that many
simulated CPU devices. Waits for all; when one fails the others are stopped, and the exit
status is the first failure's. scripts/launch_tpu_pod.sh --local N calls this.
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from typing import Optional, Sequence

from rl.distributed import COORDINATOR_VARIABLE, PROCESS_COUNT_VARIABLE, PROCESS_ID_VARIABLE


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def process_environment(base: dict, process_id: int, process_count: int, port: int,
                        devices_per_process: Optional[int]) -> dict:
    environment = dict(base)
    environment[COORDINATOR_VARIABLE] = f"127.0.0.1:{port}"
    environment[PROCESS_COUNT_VARIABLE] = str(process_count)
    environment[PROCESS_ID_VARIABLE] = str(process_id)
    if devices_per_process is not None:
        environment["JAX_PLATFORMS"] = "cpu"
        flags = [f for f in environment.get("XLA_FLAGS", "").split()
                 if not f.startswith("--xla_force_host_platform_device_count")]
        environment["XLA_FLAGS"] = " ".join(flags + [f"--xla_force_host_platform_device_count={devices_per_process}"])
    return environment


def launch(command: Sequence[str], process_count: int, devices_per_process: Optional[int] = None,
           log_dir: Optional[str] = None, timeout_s: Optional[float] = None) -> int:
    """Run `command` as processes 0..N-1; the exit status (0 when all succeed)."""
    if not command:
        raise ValueError("give the command to run after `--`, e.g. -- python -m rl.train --config=configs/train.py")
    if process_count < 1:
        raise ValueError(f"--num_processes must be >= 1, got {process_count}")
    port = free_port()
    if log_dir:
        os.makedirs(log_dir, exist_ok=True)
    processes, logs = [], []
    for process_id in range(process_count):
        output = None
        if log_dir:
            output = open(os.path.join(log_dir, f"process-{process_id}.log"), "w")
            logs.append(output)
        environment = process_environment(os.environ, process_id, process_count, port, devices_per_process)
        processes.append(subprocess.Popen(list(command), env=environment, stdout=output,
                                          stderr=subprocess.STDOUT if output else None))
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    status = 0
    try:
        while None in [p.poll() for p in processes]:   # a list: poll every process each round
            failed = [p.returncode for p in processes if p.returncode not in (None, 0)]
            timed_out = deadline is not None and time.monotonic() > deadline
            if failed or timed_out:
                status = failed[0] if failed else 124
                print(f"launch_local: {'a process failed' if failed else f'timed out after {timeout_s} s'}; "
                      "stopping the others", file=sys.stderr)
                break
            time.sleep(0.2)
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for output in logs:
            output.close()
    if status == 0:
        status = next((p.returncode for p in processes if p.returncode != 0), 0)
    return status


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[argv.index("--") + 1:] if "--" in argv else []
    options = argv[:argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(prog="python -m rl.launch_local", description=__doc__.splitlines()[0])
    parser.add_argument("--num_processes", type=int, required=True)
    parser.add_argument("--devices_per_process", type=int, default=None,
                        help="simulated CPU devices per process (sets JAX_PLATFORMS=cpu)")
    parser.add_argument("--log_dir", default=None, help="write process-<id>.log files here instead of the terminal")
    parser.add_argument("--timeout_s", type=float, default=None)
    args = parser.parse_args(options)
    try:
        return launch(command, args.num_processes, args.devices_per_process, args.log_dir, args.timeout_s)
    except ValueError as error:
        parser.error(str(error))


if __name__ == "__main__":
    sys.exit(main())
