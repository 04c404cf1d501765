"""Schedules: small pure functions of (step, statistics) to sampling weights over pools.

Each registered schedule names its pools (which bins of which band family, or which
provenances or environments) and how a problem is picked inside the chosen pool
(a seeded permutation, learnability weights, or the stepping-stone walk). Presets follow
the paper: soft and hard use the chain bins; classic and reverse the broader easy, medium
and hard bins; reverse medium-start the broader medium and easy-medium bins.

Departures from the paper: 'uniform' is uniform over problems (pool weight proportional to
pool size); adaptive learnability weighs each problem by max(p(1-p), floor) of the online
estimate, a floor the paper does not need because it does not use this schedule.
"""
from __future__ import annotations

import dataclasses
import functools
from typing import Callable, Optional

import numpy as np

from configs.registry import Registry
from curriculum import phase_tables
from curriculum.bands import band_family
from curriculum.phase_tables import PhaseTable
from curriculum.pools import PoolSpec
from curriculum.settings import CurriculumSettings

ITEM_PICKERS = ("permutation", "learnability", "chain_walk")


@dataclasses.dataclass(frozen=True)
class ScheduleStatistics:
    """What a schedule may look at besides the step."""

    total_steps: int
    pool_sizes: tuple[int, ...]
    pool_learnability: tuple[float, ...]


@dataclasses.dataclass(frozen=True)
class Schedule:
    name: str
    pools: PoolSpec
    weights: Callable[[int, ScheduleStatistics], np.ndarray]
    item_picker: str = "permutation"
    uses_feedback: bool = False
    phase_table: Optional[PhaseTable] = None


def phase_table_weights(table: PhaseTable, step: int, statistics: ScheduleStatistics) -> np.ndarray:
    return table.weights(step, statistics.total_steps)


def problem_uniform_weights(step: int, statistics: ScheduleStatistics) -> np.ndarray:
    return np.asarray(statistics.pool_sizes, dtype=np.float64)


def learnability_weights(step: int, statistics: ScheduleStatistics) -> np.ndarray:
    return np.asarray(statistics.pool_learnability, dtype=np.float64)


SCHEDULES: Registry[Callable[[CurriculumSettings], Schedule]] = Registry("curriculum schedule")


def _bins(settings: CurriculumSettings, default_family: str, names: tuple[str, ...]) -> PoolSpec:
    family = band_family(settings.band_family or default_family, settings.custom_bin_edges,
                         settings.custom_bin_names)
    return PoolSpec("bins", names, family)


def _phase_schedule(name: str, table: PhaseTable, pools: PoolSpec) -> Schedule:
    return Schedule(name, pools, functools.partial(phase_table_weights, table), phase_table=table)


def _register_preset(table: PhaseTable, family: str) -> None:
    @SCHEDULES.register(table.name)
    def build(settings: CurriculumSettings) -> Schedule:
        return _phase_schedule(table.name, table, _bins(settings, family, table.pool_names))


_register_preset(phase_tables.SOFT, "chain")
_register_preset(phase_tables.HARD, "chain")
_register_preset(phase_tables.CLASSIC, "broad")
_register_preset(phase_tables.REVERSE, "broad")
_register_preset(phase_tables.REVERSE_MEDIUM_START, "broad")


def _register_single_level(level: str) -> None:
    name = f"{level}_only"

    @SCHEDULES.register(name)
    def build(settings: CurriculumSettings) -> Schedule:
        table = PhaseTable(name, (level,), (phase_tables.Phase(1.0, {level: 1.0}),))
        return _phase_schedule(name, table, _bins(settings, "broad", (level,)))


for _level in ("easy", "easy_medium", "medium", "hard"):
    _register_single_level(_level)


@SCHEDULES.register("uniform")
def uniform(settings: CurriculumSettings) -> Schedule:
    """Every problem equally likely."""
    return Schedule("uniform", PoolSpec("all", ("all",)), problem_uniform_weights)


@SCHEDULES.register("learnability")
def adaptive_learnability(settings: CurriculumSettings) -> Schedule:
    """Each problem weighted by max(p(1-p), floor) of its online pass-rate estimate."""
    return Schedule("learnability", PoolSpec("all", ("all",)), learnability_weights,
                    item_picker="learnability", uses_feedback=True)


@SCHEDULES.register("chain_walk")
def chain_walk(settings: CurriculumSettings) -> Schedule:
    """Each chain served at its current level; a level advances once its online pass rate crosses a threshold."""
    return Schedule("chain_walk", PoolSpec("chains", ("chains",)), problem_uniform_weights,
                    item_picker="chain_walk", uses_feedback=True)


@SCHEDULES.register("phase_table")
def custom_phase_table(settings: CurriculumSettings) -> Schedule:
    """A phase table from the config over bins, provenances (real vs synthetic) or environments."""
    if not settings.phases:
        raise ValueError("schedule 'phase_table' needs curriculum.phases, e.g. "
                         "'0.5:real=0.8,synthetic=0.2;1.0:real=0.5,synthetic=0.5'")
    names = tuple(settings.pool_names)
    if settings.pool_kind not in ("bins", "provenance", "environment"):
        raise ValueError(f"schedule 'phase_table' weighs pools of kind bins, provenance or environment; "
                         f"got curriculum.pool_kind={settings.pool_kind!r}")
    if settings.pool_kind == "bins":
        pools = _bins(settings, "broad", names)
    else:
        pools = PoolSpec(settings.pool_kind, names)
    table = phase_tables.parse_phase_spec("phase_table", names, settings.phases)
    return _phase_schedule("phase_table", table, pools)


def build_schedule(settings: CurriculumSettings) -> Schedule:
    """The schedule named by curriculum.schedule (an unknown name lists the valid ones)."""
    return SCHEDULES.get(settings.schedule)(settings)


def check_schedule(schedule: Schedule, pool_sizes: tuple[int, ...], total_steps: int) -> None:
    """Config-time checks: no phase may weigh to zero or select an empty pool (the phase is named)."""
    if schedule.phase_table is None:
        if sum(pool_sizes) == 0:
            raise ValueError(f"schedule {schedule.name!r} has no problems to sample: every "
                             f"{schedule.pools.kind} pool is empty")
        return
    table = schedule.phase_table
    for index, (phase, (start, end)) in enumerate(zip(table.phases, table.boundaries(total_steps))):
        where = f"phase {index} (steps {start}-{end} of {total_steps}) of schedule {schedule.name!r}"
        if sum(phase.weights.values()) <= 0:
            raise ValueError(f"{where} has weights that sum to zero; give some pool a positive weight")
        for name, size in zip(table.pool_names, pool_sizes):
            if phase.weights.get(name, 0.0) > 0 and size == 0:
                raise ValueError(f"{where} gives weight {phase.weights[name]} to {schedule.pools.describe(name)}, "
                                 "which holds no problems; add data for it or change the schedule")
