"""Plot a schedule's sampling weights per pool over the run, to check a config before launching it.

    python -m curriculum.plot --schedule=soft --total_steps=40000 --out=soft.png

Phase-table schedules are drawn from their tables; schedules that follow pool sizes or
the online estimate ('uniform', 'learnability', 'chain_walk') depend on the data and are
drawn for equally sized pools at their priors, which the title says.
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

from curriculum.schedules import SCHEDULES, ScheduleStatistics, build_schedule
from curriculum.settings import CurriculumSettings
from configs import run_paths


def schedule_weights(settings: CurriculumSettings, points: int = 400) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """(steps, normalised weights [steps, pools], pool names) for the configured schedule."""
    schedule = build_schedule(settings)
    names = schedule.pools.names
    statistics = ScheduleStatistics(settings.total_steps, tuple(1 for _ in names), tuple(1.0 for _ in names))
    steps = np.unique(np.linspace(0, settings.total_steps - 1, points).round().astype(int))
    if schedule.phase_table is not None:   # include both sides of every phase boundary
        edges = [b for start, end in schedule.phase_table.boundaries(settings.total_steps) for b in (start, end - 1)]
        steps = np.unique(np.concatenate([steps, np.clip(edges, 0, settings.total_steps - 1)]))
    weights = np.array([schedule.weights(int(step), statistics) for step in steps], dtype=np.float64)
    totals = weights.sum(axis=1, keepdims=True)
    return steps, np.divide(weights, totals, out=np.zeros_like(weights), where=totals > 0), names


def plot_schedule(settings: CurriculumSettings, out_path: str) -> None:
    import matplotlib  # lazy: matplotlib.use("Agg") at import would switch a notebook's backend
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # lazy: only after use("Agg")

    steps, weights, names = schedule_weights(settings)
    schedule = build_schedule(settings)
    figure, axis = plt.subplots(figsize=(8, 3.5))
    axis.stackplot(steps, weights.T, labels=[schedule.pools.describe(n) for n in names], step="post", alpha=0.85)
    axis.set_xlim(0, settings.total_steps)
    axis.set_ylim(0, 1)
    axis.set_xlabel("trainer step")
    axis.set_ylabel("sampling weight")
    note = "" if schedule.phase_table is not None else " (equal pools at their priors; data-dependent)"
    axis.set_title(f"schedule {settings.schedule!r} over {settings.total_steps} steps{note}")
    axis.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    figure.tight_layout()
    run_paths.save_figure(figure, out_path, dpi=120)
    plt.close(figure)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schedule", required=True, help=f"one of: {', '.join(SCHEDULES.names())}")
    parser.add_argument("--total_steps", type=int, default=40_000)
    parser.add_argument("--phases", default="", help="for --schedule=phase_table")
    parser.add_argument("--pool_kind", default="provenance")
    parser.add_argument("--pool_names", default="real,synthetic")
    parser.add_argument("--band_family", default="")
    parser.add_argument("--out", required=True, help="PNG file to write")
    args = parser.parse_args(argv)
    try:
        settings = CurriculumSettings(schedule=args.schedule, total_steps=args.total_steps, phases=args.phases,
                                      pool_kind=args.pool_kind, pool_names=tuple(args.pool_names.split(",")),
                                      band_family=args.band_family)
        plot_schedule(settings, args.out)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
