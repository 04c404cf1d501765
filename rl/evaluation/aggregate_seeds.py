"""Command line: aggregate several training seeds' evaluation results (mean, std, interval).

    python -m rl.evaluation.aggregate_seeds RUN_SEED0/eval_results.json RUN_SEED1/eval_results.json ...

Prints the markdown table; `--output=FILE.json` also writes the rows as JSON.
"""
from __future__ import annotations

import argparse
import json
import sys

from configs import run_paths
from rl.evaluation.report import aggregate_documents, seed_markdown_table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", help="eval_results.json of each seed's run")
    parser.add_argument("--confidence", type=float, default=0.95)
    parser.add_argument("--output", default="", help="optional JSON file for the aggregated rows")
    arguments = parser.parse_args(argv)
    documents = []
    for path in arguments.results:
        try:
            with run_paths.open_file(path) as file:
                documents.append(json.load(file))
        except (OSError, json.JSONDecodeError) as error:
            print(f"cannot read results file {path!r}: {error}", file=sys.stderr)
            return 2
    rows = aggregate_documents(documents, arguments.confidence)
    print(seed_markdown_table(rows), end="")
    if arguments.output:
        with run_paths.open_file(arguments.output, "w") as file:
            json.dump(rows, file, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
