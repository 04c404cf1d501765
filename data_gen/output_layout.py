"""Where a data-generation run writes, and how its records are read back.

    <output_dir>/manifest.json                    what made the run, counts, completion
    <output_dir>/<arm>/problems-h<host>.jsonl     Problem records (arm: multi_turn, single_turn)
    <output_dir>/<arm>/attempts-h<host>.jsonl     every teacher call, raw text and outcome
    <output_dir>/<arm>/families-h<host>.jsonl     one line per finished family
    <output_dir>/<arm>/chains-h<host>.jsonl       stepping-stone chains (multi_turn only)
    <output_dir>/dropped_seeds-h<host>.jsonl      seeds dropped before any teacher call, with reason
"""
from __future__ import annotations

import dataclasses
import os

from data_gen.records import ARMS, Attempt, Chain, Family, Problem
from data_gen.shards import ReadStats, read_records
from configs import run_paths

RECORD_TYPES = {"problems": Problem, "attempts": Attempt, "families": Family, "chains": Chain}


def shard_path(output_dir: str, arm: str, kind: str, host_index: int) -> str:
    if arm not in ARMS:
        raise ValueError(f"unknown arm {arm!r}; known: {', '.join(ARMS)}")
    if kind not in RECORD_TYPES:
        raise ValueError(f"unknown record kind {kind!r}; known: {', '.join(RECORD_TYPES)}")
    return os.path.join(output_dir, arm, f"{kind}-h{host_index:03d}.jsonl")


def dropped_seeds_path(output_dir: str, host_index: int) -> str:
    return os.path.join(output_dir, f"dropped_seeds-h{host_index:03d}.jsonl")


def manifest_path(output_dir: str) -> str:
    return os.path.join(output_dir, "manifest.json")


@dataclasses.dataclass
class ArmRecords:
    """All records of one arm, from every host's shards."""

    problems: list[Problem]
    attempts: list[Attempt]
    families: list[Family]
    chains: list[Chain]
    stats: ReadStats


def read_arm(output_dir: str, arm: str) -> ArmRecords:
    stats = ReadStats()
    loaded = {}
    for kind, record_type in RECORD_TYPES.items():
        rows = []
        for path in run_paths.glob(os.path.join(output_dir, arm, f"{kind}-h*.jsonl")):
            rows.extend(read_records(path, record_type.from_json, stats))
        loaded[kind] = rows
    return ArmRecords(stats=stats, **loaded)
