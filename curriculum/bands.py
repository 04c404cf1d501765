"""Difficulty bands: named pass-rate bins over the student pass rate recorded by data_gen.

Three band families appear in the paper and mean different things, so they are named
apart: the multi-turn loop's target band (what the teacher aims at), the stepping-stone
chain bins (where a chain level must land) and the broader training bins. A bin includes
its lower bound and excludes its upper bound; a bin whose upper bound is 1.0 includes 1.0.
Custom families come from explicit edges and names.
"""
from __future__ import annotations

import dataclasses
from typing import Optional, Sequence

from configs.registry import Registry


@dataclasses.dataclass(frozen=True)
class PassRateBin:
    """One named interval [lower, upper) of pass rate (upper == 1.0 is inclusive)."""

    name: str
    lower: float
    upper: float

    def contains(self, pass_rate: float) -> bool:
        if self.upper >= 1.0 and pass_rate == 1.0:
            return self.lower <= 1.0
        return self.lower <= pass_rate < self.upper


@dataclasses.dataclass(frozen=True)
class BandFamily:
    """A named set of non-overlapping pass-rate bins; problems outside every bin belong to none."""

    name: str
    bins: tuple[PassRateBin, ...]

    def __post_init__(self):
        names = [b.name for b in self.bins]
        if len(set(names)) != len(names):
            raise ValueError(f"band family {self.name!r} repeats a bin name: {names}")
        for b in self.bins:
            if not 0.0 <= b.lower < b.upper <= 1.0:
                raise ValueError(
                    f"band family {self.name!r}: bin {b.name!r} needs 0 <= lower < upper <= 1, "
                    f"got [{b.lower}, {b.upper})")
        ordered = sorted(self.bins, key=lambda b: b.lower)
        for left, right in zip(ordered, ordered[1:]):
            if right.lower < left.upper:
                raise ValueError(f"band family {self.name!r}: bins {left.name!r} and {right.name!r} overlap")

    @property
    def bin_names(self) -> tuple[str, ...]:
        return tuple(b.name for b in self.bins)

    def bin_of(self, pass_rate: Optional[float]) -> Optional[str]:
        """The name of the bin holding `pass_rate`, or None (also for a missing pass rate)."""
        if pass_rate is None:
            return None
        for b in self.bins:
            if b.contains(pass_rate):
                return b.name
        return None

    def get(self, bin_name: str) -> PassRateBin:
        for b in self.bins:
            if b.name == bin_name:
                return b
        raise ValueError(f"band family {self.name!r} has no bin {bin_name!r}; its bins: {', '.join(self.bin_names)}")


BAND_FAMILIES: Registry[BandFamily] = Registry("difficulty band family")

# The multi-turn loop's target band: the teacher makes a variant harder above 0.65, easier at 0.
LOOP_TARGET_BAND = BAND_FAMILIES.register("loop_target")(
    BandFamily("loop_target", (PassRateBin("target", 0.35, 0.65),)))

# Stepping-stone chain levels (pass rate over 32 attempts).
CHAIN_BINS = BAND_FAMILIES.register("chain")(BandFamily("chain", (
    PassRateBin("easy", 0.81, 0.91),
    PassRateBin("medium", 0.41, 0.59),
    PassRateBin("hard", 0.05, 0.16),
)))

# The broader training bins used by the difficulty-level and classic/reverse experiments.
BROAD_BINS = BAND_FAMILIES.register("broad")(BandFamily("broad", (
    PassRateBin("easy", 0.85, 0.97),
    PassRateBin("easy_medium", 0.61, 0.85),
    PassRateBin("medium", 0.26, 0.61),
    PassRateBin("hard", 0.10, 0.26),
)))


def custom_band_family(edges: Sequence[float], names: Sequence[str]) -> BandFamily:
    """Consecutive bins from sorted edges: names[i] covers [edges[i], edges[i+1])."""
    edges = [float(e) for e in edges]
    if len(edges) != len(names) + 1:
        raise ValueError(
            f"custom difficulty bins need one more edge than names; got {len(edges)} edges "
            f"for {len(names)} names (set curriculum.custom_bin_edges and curriculum.custom_bin_names)")
    if edges != sorted(edges):
        raise ValueError(f"custom difficulty bin edges must increase; got {edges}")
    return BandFamily("custom", tuple(PassRateBin(n, lo, hi) for n, lo, hi in zip(names, edges, edges[1:])))


def band_family(name: str, edges: Sequence[float] = (), names: Sequence[str] = ()) -> BandFamily:
    """A named family ('loop_target', 'chain', 'broad') or 'custom' from edges and names."""
    if name == "custom":
        return custom_band_family(edges, names)
    return BAND_FAMILIES.get(name)
