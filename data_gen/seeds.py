"""Seed snippets for the teacher: random windows of real Python source, or solutions of
real problems from JSONL.

Random-code seeds are 25-50 consecutive lines (configurable) sampled from a directory of
Python files (the installed standard library by default) or from a JSONL corpus such as a
starcoderdata dump; the sample is a pure function of the seed, so every host and every
rerun sees the same seeds.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import random
import sysconfig
from typing import Iterator, Optional, Sequence

_SKIP_DIRS = {"test", "tests", "idlelib", "site-packages", "dist-packages", "__pycache__", "lib2to3", "turtledemo"}


@dataclasses.dataclass(frozen=True)
class Seed:
    """A seed snippet and where it came from."""

    seed_id: str
    kind: str            # "code" (random lines of real source) or "solution" (of a real problem)
    provenance: str      # e.g. "stdlib:json/decoder.py:120-160" or "jsonl:solutions.jsonl:17"
    text: str

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Seed":
        return cls(**json.loads(text))


def _seed_id(text: str) -> str:
    return "seed-" + hashlib.sha256(text.encode()).hexdigest()[:12]


def default_source_root() -> str:
    return sysconfig.get_paths()["stdlib"]


def python_files(root: str) -> list[str]:
    """All .py files below root (tests and vendored trees left out), sorted for determinism."""
    found = []
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d not in _SKIP_DIRS and not d.startswith("."))
        found.extend(os.path.join(directory, f) for f in sorted(files) if f.endswith(".py"))
    return found


def _is_substantive(lines: Sequence[str]) -> bool:
    """A window worth showing a teacher: mostly code, not blank lines, comments or licence text."""
    code = [l for l in lines if l.strip() and not l.lstrip().startswith("#")]
    return len(code) >= 0.6 * len(lines) and any(l.lstrip().startswith(("def ", "class ", "for ", "if ", "return "))
                                                  for l in code)


def _windows(documents: Sequence[tuple[str, str]], count: int, rng_seed: int, min_lines: int,
             max_lines: int, kind: str) -> list[Seed]:
    if not documents:
        raise ValueError("no source documents to draw seed snippets from")
    if not 1 <= min_lines <= max_lines:
        raise ValueError(f"seed window needs 1 <= min_lines <= max_lines, got {min_lines}, {max_lines}")
    rng = random.Random(rng_seed)
    seeds: list[Seed] = []
    seen: set[str] = set()
    tries = 0
    while len(seeds) < count:
        tries += 1
        if tries > 50 * count + 1000:
            raise ValueError(f"found only {len(seeds)} of {count} substantive seed windows in the sources")
        name, text = documents[rng.randrange(len(documents))]
        lines = text.splitlines()
        size = rng.randint(min_lines, max_lines)
        if len(lines) < size:
            continue
        start = rng.randrange(len(lines) - size + 1)
        window = lines[start:start + size]
        snippet = "\n".join(window)
        if not _is_substantive(window) or snippet in seen:
            continue
        seen.add(snippet)
        seeds.append(Seed(_seed_id(snippet), kind, f"{name}:{start + 1}-{start + size}", snippet))
    return seeds


def random_code_seeds(count: int, rng_seed: int = 0, root: Optional[str] = None, min_lines: int = 25,
                      max_lines: int = 50) -> list[Seed]:
    """`count` random windows of consecutive lines from the Python files under `root`."""
    root = root or default_source_root()
    if not os.path.isdir(root):
        raise ValueError(f"seed source directory {root!r} does not exist")
    files = python_files(root)
    documents = []
    for path in files:
        try:
            with open(path, encoding="utf-8") as handle:
                documents.append((f"{os.path.basename(root.rstrip('/'))}:{os.path.relpath(path, root)}",
                                  handle.read()))
        except (UnicodeDecodeError, OSError):
            continue
    return _windows(documents, count, rng_seed, min_lines, max_lines, "code")


def _jsonl_rows(path: str) -> Iterator[tuple[int, dict]]:
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            line = line.strip()
            if not line:
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a malformed corpus line is skipped, not fatal
            if isinstance(row, dict):
                yield number, row


def code_seeds_from_jsonl(path: str, count: int, rng_seed: int = 0, field: str = "content",
                          min_lines: int = 25, max_lines: int = 50) -> list[Seed]:
    """Random windows from a JSONL code corpus (one document per line in `field`)."""
    documents = [(f"jsonl:{os.path.basename(path)}:{n}", row[field]) for n, row in _jsonl_rows(path)
                 if isinstance(row.get(field), str)]
    return _windows(documents, count, rng_seed, min_lines, max_lines, "code")


def solution_seeds_from_jsonl(path: str, field: str = "solution", limit: Optional[int] = None) -> list[Seed]:
    """Solutions of real problems, one seed per JSONL row with a string in `field`."""
    seeds = []
    for number, row in _jsonl_rows(path):
        text = row.get(field)
        if isinstance(text, str) and text.strip():
            seeds.append(Seed(_seed_id(text), "solution", f"jsonl:{os.path.basename(path)}:{number}", text))
            if limit is not None and len(seeds) >= limit:
                break
    return seeds


def shard_for_host(items: Sequence, host_index: int, host_count: int) -> list:
    """Host i of n takes items i, i+n, i+2n, ...: disjoint shards that together cover everything."""
    if not 0 <= host_index < host_count:
        raise ValueError(f"host index {host_index} is outside 0..{host_count - 1}")
    return list(items[host_index::host_count])

