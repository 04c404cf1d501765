"""Run metrics to a CSV file and TensorBoard event files, and sampled rollouts to JSONL;
`write_scalars` for the one-off scalars of an evaluation or a data-generation report.

The CSV has one row per step and grows new columns as they appear (it is rewritten when
a new metric name shows up, which happens only in the first steps). On resume, rows at or
after the resumed step are dropped first, so a restarted run does not log a step twice.
"""
from __future__ import annotations

import csv
import json
import os
import time
from typing import Mapping, Optional


def _event_writer(directory: str):
    """A TensorBoard event file writer in `directory`, or None without the tensorboard package."""
    try:
        from tensorboard.summary.writer.event_file_writer import EventFileWriter  # optional: CSV still written without it
    except ImportError:
        print("metrics: the tensorboard package is not installed; no TensorBoard events are written")
        return None
    return EventFileWriter(directory)


def _scalar_event(step: int, metrics: Mapping[str, float]):
    from tensorboard.compat.proto import event_pb2, summary_pb2  # optional package; only reached with a writer

    values = [summary_pb2.Summary.Value(tag=k, simple_value=float(v)) for k, v in metrics.items()]
    return event_pb2.Event(wall_time=time.time(), step=step, summary=summary_pb2.Summary(value=values))


def write_scalars(directory: str, step: int, metrics: Mapping[str, float]) -> None:
    """Write `metrics` as TensorBoard scalars at `step` into an event file in `directory`."""
    if not metrics:
        return
    os.makedirs(directory, exist_ok=True)
    writer = _event_writer(directory)
    if writer is not None:
        writer.add_event(_scalar_event(step, metrics))
        writer.close()


class MetricsLog:
    def __init__(self, directory: str, resume_from_step: Optional[int] = None, tensorboard: bool = True):
        os.makedirs(directory, exist_ok=True)
        self.directory = directory
        self.csv_path = os.path.join(directory, "metrics.csv")
        self.rollouts_path = os.path.join(directory, "rollouts.jsonl")
        self._rows: list[dict] = []
        if os.path.exists(self.csv_path):
            with open(self.csv_path, newline="") as handle:
                self._rows = [row for row in csv.DictReader(handle)
                              if resume_from_step is None or int(row["step"]) < resume_from_step]
        self._columns: list[str] = ["step"]
        for row in self._rows:
            self._columns += [c for c in row if c not in self._columns]
        self._rewrite()
        if resume_from_step is not None and os.path.exists(self.rollouts_path):
            with open(self.rollouts_path) as handle:
                kept = [line for line in handle if line.endswith("\n") and json.loads(line)["step"] < resume_from_step]
            with open(self.rollouts_path, "w") as handle:
                handle.writelines(kept)
        self._events = _event_writer(os.path.join(directory, "tensorboard")) if tensorboard else None

    def _rewrite(self) -> None:
        with open(self.csv_path, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=self._columns)
            writer.writeheader()
            writer.writerows(self._rows)

    def write(self, step: int, metrics: Mapping[str, float]) -> None:
        row = {"step": step, **{k: float(v) for k, v in metrics.items()}}
        new = [k for k in row if k not in self._columns]
        self._rows.append(row)
        if new:
            self._columns += new
            self._rewrite()
        else:
            with open(self.csv_path, "a", newline="") as handle:
                csv.DictWriter(handle, fieldnames=self._columns).writerow(row)
        if self._events is not None:
            self._events.add_event(_scalar_event(step, metrics))
            self._events.flush()

    def write_rollouts(self, step: int, samples: list[dict]) -> None:
        with open(self.rollouts_path, "a") as handle:
            for sample in samples:
                handle.write(json.dumps({"step": step, **sample}, sort_keys=True) + "\n")

    def rows(self) -> list[dict]:
        return list(self._rows)

    def close(self) -> None:
        if self._events is not None:
            self._events.close()
