"""`python -m sandbox check SPEC.json SOLUTION.py [SOLUTION.py ...]`.

Runs every solution against one spec (see `sandbox.spec`) in one executor and prints
one JSON verdict per line, in order. Exit status 0 whenever verdicts were produced;
2 for a usage error (bad spec, unreadable solution, missing runsc), with one message.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys

from sandbox.executor import SandboxExecutor
from sandbox.runsc import RunscMissing
from sandbox.spec import SpecError, job_for, load_spec


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sandbox")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="grade solutions against a spec")
    check.add_argument("spec", help="SPEC.json")
    check.add_argument("solutions", nargs="+", help="SOLUTION.py files")
    check.add_argument("--backend", default="gvisor", choices=("gvisor", "rlimits"),
                       help="gvisor (default) or rlimits (no isolation; warns)")
    check.add_argument("--workers", type=int, default=None,
                       help="sandboxes in parallel (default: the number of cores)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        spec = load_spec(args.spec)
        jobs = []
        for path in args.solutions:
            try:
                with open(path, encoding="utf-8") as handle:
                    code = handle.read()
            except (OSError, UnicodeDecodeError) as error:
                raise SpecError(f"cannot read solution {path!r}: {error}") from None
            jobs.append(job_for(spec, code))
        workers = args.workers or None
        with SandboxExecutor(workers=workers, backend=args.backend) as executor:
            verdicts = executor.run(jobs)
    except (SpecError, RunscMissing, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for path, verdict in zip(args.solutions, verdicts):
        record = dataclasses.asdict(verdict)
        record["solution"] = path
        print(json.dumps(record), flush=True)
    return 0
