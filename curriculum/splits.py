"""Train and held-out splits by family: variants of one task never cross the split.

Real and synthetic problems are split apart (each provenance holds out its own fraction
of families). A problem without a family (a real contest problem) is its own family.
"""
from __future__ import annotations

import hashlib

import numpy as np

from curriculum.catalog import Catalog

SPLITS = ("train", "held_out", "all")


def family_key(problem) -> str:
    return problem.family_id or f"problem:{problem.id}"


def split_ids_by_family(catalog: Catalog, held_out_fraction: float, seed: int) -> dict[str, tuple[str, ...]]:
    """{'train': ids, 'held_out': ids}; round(fraction * families) families per provenance are held out."""
    if not 0.0 <= held_out_fraction < 1.0:
        raise ValueError(f"curriculum.held_out_fraction must be in [0, 1), got {held_out_fraction}")
    families_by_provenance: dict[str, set[str]] = {}
    for problem in catalog.problems:
        families_by_provenance.setdefault(problem.provenance, set()).add(family_key(problem))
    held_out_families: set[str] = set()
    for provenance, families in sorted(families_by_provenance.items()):
        ordered = sorted(families)
        stream = int.from_bytes(hashlib.sha256(provenance.encode()).digest()[:4], "little")
        order = np.random.default_rng([seed, stream]).permutation(len(ordered))
        count = round(held_out_fraction * len(ordered))
        held_out_families.update(ordered[i] for i in order[:count])
    train = tuple(p.id for p in catalog.problems if family_key(p) not in held_out_families)
    held_out = tuple(p.id for p in catalog.problems if family_key(p) in held_out_families)
    return {"train": train, "held_out": held_out}


def select_split(catalog: Catalog, split: str, held_out_fraction: float, seed: int) -> Catalog:
    if split not in SPLITS:
        raise ValueError(f"unknown curriculum.split {split!r}; valid: {', '.join(SPLITS)}")
    if split == "all":
        return catalog
    return catalog.subset(split_ids_by_family(catalog, held_out_fraction, seed)[split])
