"""Pools: the groups a schedule weighs (difficulty bins, provenances, environments, chains).

A schedule gives one weight per pool; the sampler then picks a problem inside the chosen
pool. Problems in no pool (e.g. outside every bin of the family) are never sampled. A
fixed sample budget caps each pool at its share of a total number of distinct problems.
"""
from __future__ import annotations

import dataclasses
from typing import Mapping, Optional

import numpy as np

from curriculum.bands import BandFamily
from curriculum.catalog import Catalog

POOL_KINDS = ("bins", "provenance", "environment", "all", "chains")


@dataclasses.dataclass(frozen=True)
class PoolSpec:
    """How problems group into the named pools a schedule weighs."""

    kind: str
    names: tuple[str, ...]
    band_family: Optional[BandFamily] = None

    def __post_init__(self):
        if self.kind not in POOL_KINDS:
            raise ValueError(f"unknown pool kind {self.kind!r}; valid: {', '.join(POOL_KINDS)}")
        if self.kind == "bins":
            if self.band_family is None:
                raise ValueError("pools of kind 'bins' need a band family")
            for name in self.names:
                self.band_family.get(name)

    def describe(self, name: str) -> str:
        if self.kind == "bins":
            b = self.band_family.get(name)
            return f"bin {name!r} [{b.lower}, {b.upper}) of the {self.band_family.name} bins"
        return f"{self.kind} pool {name!r}"

    def pool_of(self, problem) -> Optional[str]:
        if self.kind == "bins":
            name = self.band_family.bin_of(problem.pass_rate)
            return name if name in self.names else None
        if self.kind == "provenance":
            return problem.provenance if problem.provenance in self.names else None
        if self.kind == "environment":
            return problem.environment if problem.environment in self.names else None
        return self.names[0]


def pool_members(spec: PoolSpec, catalog: Catalog) -> tuple[np.ndarray, ...]:
    """Per pool, the sorted catalog rows in it (for 'chains': the chain indices)."""
    if spec.kind == "chains":
        return (np.arange(len(catalog.chains), dtype=np.int64),)
    members: dict[str, list[int]] = {name: [] for name in spec.names}
    for row, problem in enumerate(catalog.problems):
        name = spec.pool_of(problem)
        if name is not None:
            members[name].append(row)
    return tuple(np.array(members[name], dtype=np.int64) for name in spec.names)


def apply_budget(spec: PoolSpec, members: tuple[np.ndarray, ...], budget: int,
                 shares: Mapping[str, float], seed: int) -> tuple[np.ndarray, ...]:
    """Keep round(share * budget) seeded-random problems per pool: a fixed total of distinct samples."""
    unknown = sorted(set(shares) - set(spec.names))
    if unknown:
        raise ValueError(f"curriculum.budget_shares names unknown pools {unknown}; pools: {', '.join(spec.names)}")
    total = sum(shares.values())
    if total <= 0:
        raise ValueError("curriculum.budget_shares must have a positive sum")
    capped = []
    for index, (name, rows) in enumerate(zip(spec.names, members)):
        want = round(budget * shares.get(name, 0.0) / total)
        if want > len(rows):
            raise ValueError(f"the sample budget asks {want} problems from {spec.describe(name)}, which holds "
                             f"{len(rows)}; lower curriculum.budget or its share")
        keep = np.random.default_rng([seed, 7919, index]).permutation(len(rows))[:want]
        capped.append(np.sort(rows[keep]))
    return tuple(capped)
