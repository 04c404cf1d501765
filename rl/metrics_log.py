"""Run metrics to a CSV file and TensorBoard event files, and sampled rollouts to JSONL;
`write_scalars` for the one-off scalars of an evaluation or a data-generation report.

The CSV has one row per step and grows new columns as they appear (it is rewritten when
a new metric name shows up, which happens only in the first steps). On resume, rows at or
after the resumed step are dropped first, so a restarted run does not log a step twice.
The directory may be on any filesystem `configs.run_paths` reaches (gs://: TensorBoard's
writer and the appends go through tf.io.gfile there).
"""
from __future__ import annotations

import csv
import json
import os
import socket
import time
from typing import Mapping, Optional

from configs import run_paths


def _event_writer(directory: str):
    """A TensorBoard event file writer in `directory`, or None without the tensorboard package."""
    try:
        from tensorboard.summary.writer.event_file_writer import EventFileWriter  # optional: CSV still written without it
    except ImportError:
        print("metrics: the tensorboard package is not installed; no TensorBoard events are written")
        return None
    return EventFileWriter(directory) if run_paths.is_local(directory) else _EventFile(directory)


class _EventFile:
    """TensorBoard's event file written through `configs.run_paths` (tensorboard's own writer
    reaches only what tf.io.gfile knows); each event is flushed when written."""

    def __init__(self, directory: str):
        from tensorboard.compat.proto import event_pb2
        from tensorboard.summary.writer.record_writer import RecordWriter

        run_paths.makedirs(directory)
        name = f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}.{os.getpid()}"
        self._records = RecordWriter(run_paths.open_file(run_paths.join(directory, name), "wb"))
        self.add_event(event_pb2.Event(wall_time=time.time(), file_version="brain.Event:2"))
        self.flush()

    def add_event(self, event) -> None:
        self._records.write(event.SerializeToString())

    def flush(self) -> None:
        self._records.flush()

    def close(self) -> None:
        if not self._records.closed:
            self._records.close()


def _scalar_event(step: int, metrics: Mapping[str, float]):
    from tensorboard.compat.proto import event_pb2, summary_pb2  # optional package; only reached with a writer

    values = [summary_pb2.Summary.Value(tag=k, simple_value=float(v)) for k, v in metrics.items()]
    return event_pb2.Event(wall_time=time.time(), step=step, summary=summary_pb2.Summary(value=values))


def write_scalars(directory: str, step: int, metrics: Mapping[str, float]) -> None:
    """Write `metrics` as TensorBoard scalars at `step` into an event file in `directory`."""
    if not metrics:
        return
    run_paths.makedirs(directory)
    writer = _event_writer(directory)
    if writer is not None:
        writer.add_event(_scalar_event(step, metrics))
        writer.close()


class MetricsLog:
    def __init__(self, directory: str, resume_from_step: Optional[int] = None, tensorboard: bool = True):
        run_paths.makedirs(directory)
        self.directory = directory
        self.csv_path = os.path.join(directory, "metrics.csv")
        self.rollouts_path = os.path.join(directory, "rollouts.jsonl")
        self._rows: list[dict] = []
        if run_paths.exists(self.csv_path):
            with run_paths.open_file(self.csv_path, newline="") as handle:
                self._rows = [row for row in csv.DictReader(handle)
                              if resume_from_step is None or int(row["step"]) < resume_from_step]
        self._columns: list[str] = ["step"]
        for row in self._rows:
            self._columns += [c for c in row if c not in self._columns]
        self._rewrite()
        if resume_from_step is not None and run_paths.exists(self.rollouts_path):
            with run_paths.open_file(self.rollouts_path) as handle:
                kept = [line for line in handle if line.endswith("\n") and json.loads(line)["step"] < resume_from_step]
            with run_paths.open_file(self.rollouts_path, "w") as handle:
                handle.writelines(kept)
        self._events = _event_writer(os.path.join(directory, "tensorboard")) if tensorboard else None

    def _rewrite(self) -> None:
        with run_paths.open_file(self.csv_path, "w", newline="") as handle:
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
            with run_paths.open_file(self.csv_path, "a", newline="") as handle:
                csv.DictWriter(handle, fieldnames=self._columns).writerow(row)
        if self._events is not None:
            self._events.add_event(_scalar_event(step, metrics))
            self._events.flush()

    def write_rollouts(self, step: int, samples: list[dict]) -> None:
        with run_paths.open_file(self.rollouts_path, "a") as handle:
            for sample in samples:
                handle.write(json.dumps({"step": step, **sample}, sort_keys=True) + "\n")

    def rows(self) -> list[dict]:
        return list(self._rows)

    def close(self) -> None:
        if self._events is not None:
            self._events.close()
