"""One process of the multi-host trainer test (run through scripts/launch_tpu_pod.sh, or
alone as the single-process reference):

    python -m tests.rl.multihost_worker RUN_DIR DATA_FILE --steps N --expect-processes P [--tag T]

Joins the other processes (rl.distributed, from the launcher's variables) before any JAX
computation, checks the process count, trains the tiny digit policy on the abduction data
through rl.train with its own sandbox (exporting the policy to RUN_DIR/export), and writes
`worker-<tag>-<process index>.json` (process count and index, devices, the checkpoint it
resumed from, the metrics rows) and `params-<tag>-<process index>.npz` (the final
parameters, gathered to the host) into RUN_DIR. Run again with the same RUN_DIR and steps,
it restores the last checkpoint and trains no further.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from rl import distributed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("run_dir")
    parser.add_argument("data_file")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--expect-processes", type=int, required=True)
    parser.add_argument("--tag", default="run", help="names this invocation's output files")
    args = parser.parse_args()
    distributed.initialize()

    import jax
    import numpy as np
    from flax import nnx

    from rl.sharding import to_host
    from rl.train import train
    from sandbox.executor import SandboxExecutor
    from tests.rl import train_doubles

    if jax.process_count() != args.expect_processes:
        print(f"multihost_worker: jax.process_count() is {jax.process_count()}, expected {args.expect_processes}",
              file=sys.stderr)
        return 3
    config = train_doubles.train_config(args.run_dir, args.data_file, steps=args.steps)
    config.checkpoint.export_directory = os.path.join(args.run_dir, "export")
    policy = train_doubles.tiny_digit_policy()
    with SandboxExecutor(workers=1) as executor:
        result = train(config, policy=policy, executor=executor, progress=False)
    params = to_host(policy.params)
    flat = {".".join(map(str, path)): np.asarray(variable.get_value())
            for path, variable in nnx.to_flat_state(params)}
    index = jax.process_index()
    np.savez(os.path.join(args.run_dir, f"params-{args.tag}-{index}.npz"), **flat)
    report = {"process_count": jax.process_count(), "process_index": index,
              "global_devices": len(jax.devices()), "local_devices": len(jax.local_devices()),
              "final_step": result.final_step, "restored_from": result.restored_from, "metrics": result.metrics}
    with open(os.path.join(args.run_dir, f"worker-{args.tag}-{index}.json"), "w") as handle:
        json.dump(report, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
