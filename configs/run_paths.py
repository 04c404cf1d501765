"""Run directories on any filesystem: one path abstraction for everything a run reads and
writes (checkpoints, metrics, records, reports, plots, the curriculum's files).

`run_path` turns a string such as `runs/x`, `/data/run1` or `gs://bucket/run1` into an
`etils.epath.Path`: local paths use the os functions (behaviour unchanged), `gs://` and
the other schemes epath knows go through its backends (tf.io.gfile where TensorFlow is
installed, as here), and orbax takes the same paths. Never hand a run path to `os.path`,
`pathlib` or `open` directly: `pathlib.Path("gs://b/r")` is the local `gs:/b/r`.

Local paths keep the guarantees of POSIX files (atomic rename, O_APPEND, fsync, flock:
`rl.state_files`, `data_gen.shards`); other schemes get the nearest equivalent there, as
each caller documents (an object store writes a whole object at once, so a reader sees
the old object or the new one).

A leaf helper like `rl.registry`: it imports nothing of the project, so data_gen and
the curriculum use it without importing the trainer.
"""
from __future__ import annotations

import contextlib
import glob as glob_lib
import os
import re
from typing import IO, Iterable, Iterator, Union

from etils import epath

PathLike = Union[str, os.PathLike]


def is_local(path: PathLike) -> bool:
    """True for a local path (no `scheme://` prefix): POSIX semantics hold there."""
    return "://" not in os.fspath(path)


def run_path(path: PathLike) -> epath.Path:
    """`path` as an epath.Path, on whatever filesystem its scheme names (none: local)."""
    if isinstance(path, epath.Path):
        return path
    return epath.Path(os.fspath(path))


def join(path: PathLike, *parts: str) -> str:
    """`path/part/...` as a string, the scheme kept."""
    return os.fspath(run_path(path).joinpath(*parts))


def makedirs(path: PathLike) -> None:
    """Create the directory and its parents if missing (on an object store, at most a
    marker object)."""
    run_path(path).mkdir(parents=True, exist_ok=True)


def exists(path: PathLike) -> bool:
    return run_path(path).exists()


def isdir(path: PathLike) -> bool:
    return run_path(path).is_dir()


def listdir(path: PathLike) -> list[str]:
    """Names in the directory; FileNotFoundError if it is missing."""
    if is_local(path):
        return os.listdir(path)
    directory = run_path(path)
    if not directory.exists():
        raise FileNotFoundError(os.fspath(path))
    return [child.name for child in directory.iterdir()]


def open_file(path: PathLike, mode: str = "r", **kwargs) -> IO:
    """`open(path, mode, **kwargs)` for a local path (unchanged); elsewhere the scheme's
    file object in UTF-8 with `\\n` line ends (as on POSIX), `kwargs` such as `newline=""`
    or `encoding="utf-8"` being what it does anyway."""
    if is_local(path):
        return open(path, mode, **kwargs)
    path = run_path(path)
    if "r" in mode and not path.exists():   # tf.io.gfile would raise its own NotFoundError on read
        raise FileNotFoundError(f"no such file: {path}")
    return path.open(mode)


@contextlib.contextmanager
def open_lines(path: PathLike) -> Iterator[Iterable[str]]:
    """The lines of a UTF-8 text file (`\\n` kept), undecodable bytes replaced, as
    `open(path, encoding="utf-8", errors="replace")` gives them locally."""
    if is_local(path):
        with open(path, encoding="utf-8", errors="replace") as handle:
            yield handle
    else:
        with open_file(path, "rb") as handle:
            yield (raw.decode("utf-8", errors="replace") for raw in handle)


def glob(pattern: PathLike) -> list[str]:
    """Sorted paths matching a glob pattern (`*`, `?`, `[...]` in any component but the
    scheme and bucket), as strings with their scheme."""
    pattern = os.fspath(pattern)
    if is_local(pattern):
        return sorted(glob_lib.glob(os.path.expanduser(pattern)))
    wildcard = re.search(r"[*?\[]", pattern)
    if wildcard is None:
        return [pattern] if run_path(pattern).exists() else []
    base = pattern[:pattern.rindex("/", 0, wildcard.start())]
    relative = pattern[len(base) + 1:]
    return sorted(os.fspath(match) for match in run_path(base).glob(relative))


def move(source: PathLike, destination: PathLike) -> None:
    """Move a file or a directory tree: `os.rename` locally (atomic); elsewhere the
    scheme's rename (tf.io.gfile renames a gs:// directory object by object)."""
    if is_local(source) and is_local(destination):
        os.rename(source, destination)
    else:
        run_path(source).rename(run_path(destination))


def save_figure(figure, path: PathLike, **kwargs) -> None:
    """`figure.savefig(path)` on any filesystem (matplotlib writes local files only)."""
    if is_local(path):
        figure.savefig(os.fspath(path), **kwargs)
        return
    suffix = os.path.splitext(os.fspath(path))[1].lstrip(".") or "png"
    with run_path(path).open("wb") as handle:
        figure.savefig(handle, format=kwargs.pop("format", suffix), **kwargs)
