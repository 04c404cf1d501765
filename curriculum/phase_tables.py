"""Piecewise-constant phase tables, with the paper's schedules as named presets.

A phase table gives sampling weights per pool (a difficulty bin, a provenance or an
environment) for consecutive fractions of the run. The paper states its tables in steps
of a 40K-step run; they are kept here as fractions of the run, so a preset scales to any
`total_steps` (a boundary at 7.5K of 40K lands at round(0.1875 * total_steps)).
"""
from __future__ import annotations

import dataclasses
from typing import Mapping

import numpy as np

PAPER_RUN_STEPS = 40_000


@dataclasses.dataclass(frozen=True)
class Phase:
    """Weights per pool until `end_fraction` of the run (the previous phase's end is the start)."""

    end_fraction: float
    weights: Mapping[str, float]


@dataclasses.dataclass(frozen=True)
class PhaseTable:
    """Consecutive phases over named pools; the last phase ends at fraction 1.0."""

    name: str
    pool_names: tuple[str, ...]
    phases: tuple[Phase, ...]

    def __post_init__(self):
        ends = [p.end_fraction for p in self.phases]
        if not self.phases or ends != sorted(ends) or ends[-1] != 1.0 or ends[0] <= 0:
            raise ValueError(f"phase table {self.name!r}: phase ends must increase from above 0 to 1.0; got {ends}")
        for index, phase in enumerate(self.phases):
            unknown = sorted(set(phase.weights) - set(self.pool_names))
            if unknown:
                raise ValueError(f"phase table {self.name!r}: phase {index} names unknown pools {unknown}; "
                                 f"pools: {', '.join(self.pool_names)}")
            if any(w < 0 for w in phase.weights.values()):
                raise ValueError(f"phase table {self.name!r}: phase {index} has a negative weight")

    def boundaries(self, total_steps: int) -> list[tuple[int, int]]:
        """[start, end) step range of every phase for a run of `total_steps` steps."""
        ends = [round(p.end_fraction * total_steps) for p in self.phases]
        return list(zip([0] + ends[:-1], ends))

    def phase_index(self, step: int, total_steps: int) -> int:
        for index, (_, end) in enumerate(self.boundaries(total_steps)):
            if step < end:
                return index
        return len(self.phases) - 1  # steps past the planned run stay in the last phase

    def weights(self, step: int, total_steps: int) -> np.ndarray:
        phase = self.phases[self.phase_index(step, total_steps)]
        return np.array([float(phase.weights.get(n, 0.0)) for n in self.pool_names])


def table_from_paper_steps(name: str, pool_names: tuple[str, ...],
                           rows: list[tuple[float, tuple[float, ...]]]) -> PhaseTable:
    """Build a table from the paper's (end step of 40K, weights in pool order) rows."""
    return PhaseTable(name, pool_names, tuple(
        Phase(end / PAPER_RUN_STEPS, dict(zip(pool_names, weights))) for end, weights in rows))


EASY_MEDIUM_HARD = ("easy", "medium", "hard")

SOFT = table_from_paper_steps("soft", EASY_MEDIUM_HARD, [
    (7_500, (0.80, 0.15, 0.05)), (17_500, (0.15, 0.80, 0.05)),
    (30_000, (0.15, 0.40, 0.45)), (40_000, (0.05, 0.15, 0.80))])

HARD = table_from_paper_steps("hard", EASY_MEDIUM_HARD, [
    (7_500, (0.90, 0.05, 0.05)), (17_500, (0.05, 0.90, 0.05)), (40_000, (0.05, 0.05, 0.90))])

CLASSIC = table_from_paper_steps("classic", EASY_MEDIUM_HARD, [
    (10_000, (1, 0, 0)), (15_000, (0.75, 0.25, 0)), (25_000, (0, 1, 0)),
    (30_000, (0, 0.75, 0.25)), (40_000, (0, 0, 1))])

# The paper's reverse curriculum is classic's mirror: hard first, easy last.
REVERSE = table_from_paper_steps("reverse", EASY_MEDIUM_HARD, [
    (end, tuple(reversed(w))) for end, w in [
        (10_000, (1, 0, 0)), (15_000, (0.75, 0.25, 0)), (25_000, (0, 1, 0)),
        (30_000, (0, 0.75, 0.25)), (40_000, (0, 0, 1))]])

REVERSE_MEDIUM_START = table_from_paper_steps("reverse_medium_start", ("medium", "easy_medium"), [
    (17_500, (1.0, 0.0)), (20_000, (0.75, 0.25)), (40_000, (0.0, 1.0))])


def parse_phase_spec(name: str, pool_names: tuple[str, ...], spec: str) -> PhaseTable:
    """Parse 'END:pool=w,pool=w;END:...' (END a fraction of the run, the last 1.0)."""
    phases = []
    for index, chunk in enumerate(part for part in spec.split(";") if part.strip()):
        try:
            end_text, weights_text = chunk.split(":", 1)
            weights = {}
            for item in weights_text.split(","):
                if item.strip():
                    pool, value = item.split("=")
                    weights[pool.strip()] = float(value)
            phases.append(Phase(float(end_text), weights))
        except ValueError:
            raise ValueError(
                f"curriculum.phases: cannot read phase {index} {chunk!r}; write "
                "'END:pool=weight,pool=weight;...' with END a fraction of the run, e.g. "
                "'0.5:real=0.8,synthetic=0.2;1.0:real=0.5,synthetic=0.5'") from None
    return PhaseTable(name, pool_names, tuple(phases))
