"""State files of a run: written atomically, and the output directory's lock.

Owns: `write_json_atomic` / `write_text_atomic` (temporary file in the same directory,
fsync, rename, fsync of the directory: a kill at any moment leaves the old file or the
new one, never a torn one), `read_json_or_none` (a missing or unreadable state file is
"not there") and `OutputDirLock` (an exclusive `flock` on <dir>/.lock held for the
whole run: a second run on the same directory fails at once with a clear error; the
kernel drops the lock when the holder dies, so a killed run never blocks its rerun; the
new holder removes the temporary files a killed writer left at the directory's top
level, which no live writer can own any more).

Paths go through `configs.run_paths`. On other filesystems (gs://, where an object is written
whole: a reader sees the old object or the new one, never a torn one) the atomic writes
are a plain write of the object, and the lock is not taken (object stores have no
`flock`; a warning says so): there, run one job per output directory.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import tempfile

from configs import run_paths

logger = logging.getLogger(__name__)

TEMPORARY_PREFIX = ".tmp-"


def write_text_atomic(path: str, text: str) -> None:
    if not run_paths.is_local(path):
        run_paths.run_path(path).write_text(text)   # one object, written whole
        return
    directory = os.path.dirname(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(prefix=TEMPORARY_PREFIX, dir=directory)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    directory_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(directory_fd)
    finally:
        os.close(directory_fd)


def write_json_atomic(path: str, value) -> None:
    write_text_atomic(path, json.dumps(value, indent=2, sort_keys=True))


def read_json_or_none(path: str):
    """The JSON in `path`, or None when it is missing or not valid JSON."""
    try:
        with run_paths.open_file(path) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def remove_stale_temporaries(directory: str) -> int:
    """Delete the `.tmp-*` files of `write_text_atomic` in `directory` (only safe while
    holding its `OutputDirLock`: then no live writer owns them). Returns how many."""
    removed = 0
    for name in os.listdir(directory):
        if name.startswith(TEMPORARY_PREFIX):
            try:
                os.unlink(os.path.join(directory, name))
                removed += 1
            except (FileNotFoundError, IsADirectoryError):
                pass
    return removed


class OutputDirLockedError(RuntimeError):
    """Another live run holds the output directory."""


class OutputDirLock:
    """`with OutputDirLock(dir):` — the run's exclusive hold on its output directory."""

    def __init__(self, directory: str):
        self.path = os.path.join(directory, ".lock")
        self._fd = -1

    def __enter__(self) -> "OutputDirLock":
        if not run_paths.is_local(self.path):
            logger.warning("output directory %s is not local: it cannot be locked, so make sure no other "
                           "run writes there", os.path.dirname(self.path))
            return self
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            self._fd = -1
            raise OutputDirLockedError(
                f"output directory {os.path.dirname(self.path)!r} is in use by another run "
                "(it holds .lock); wait for it to finish or choose another output_dir") from None
        os.ftruncate(self._fd, 0)
        os.write(self._fd, str(os.getpid()).encode())
        remove_stale_temporaries(os.path.dirname(self.path))
        return self

    def __exit__(self, *exc) -> None:
        if self._fd >= 0:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = -1
