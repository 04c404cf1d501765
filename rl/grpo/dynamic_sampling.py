"""Dynamic sampling (DAPO): a group whose G rewards are all equal has zero advantage and
carries no learning signal, so it is dropped and the batch refilled from new prompts.

`informative_groups` is the pure test on `[groups, G]` rewards; `select_groups` is the
trainer's refill loop and group choice for one step (it draws refills through a callable,
so it is tested without a model), reading each batch's groups from the batch itself
(`grouped_rewards()`). Both work on NumPy arrays outside jit (the number of kept groups is
data-dependent).
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np


def informative_groups(grouped_rewards: np.ndarray, tolerance: float = 1e-9) -> np.ndarray:
    """Boolean `[groups]` of `[groups, G]` rewards: True where the group's rewards are not all equal."""
    grouped = np.asarray(grouped_rewards, dtype=np.float64)
    if grouped.ndim != 2:
        raise ValueError(f"rewards of shape {grouped.shape} are not [groups, G]")
    return (grouped.max(axis=1) - grouped.min(axis=1)) > tolerance


@dataclasses.dataclass(frozen=True)
class GroupSelection:
    """The rollout batches one training step drew and which of their groups it trains on."""

    parts: tuple            # the first batch, then each refill, in order
    informative: np.ndarray  # [groups of all parts]: rewards not all equal
    chosen_groups: tuple     # indices into the parts' groups, concatenated: informative ones first
    refills: int


def select_groups(first, refill: Callable[[int, int], object], *, prompts_per_batch: int, max_refills: int,
                  enabled: bool = True) -> GroupSelection:
    """Dynamic sampling for one step: while fewer than `prompts_per_batch` groups of the batches
    drawn so far are informative (and `enabled`, and fewer than `max_refills` refills were
    drawn), draw `refill(refill_index, groups_missing)`; then choose `prompts_per_batch`
    groups, informative ones first in draw order, and the uninformative ones in draw order
    after them when refills ran out. Each part is anything whose `grouped_rewards()` is its
    `[groups, G]` rewards (a graded `rl.rollout.Rollout`)."""
    parts = [first]
    informative = informative_groups(first.grouped_rewards())
    refills = 0
    while enabled and int(informative.sum()) < prompts_per_batch and refills < max_refills:
        refills += 1
        extra = refill(refills, prompts_per_batch - int(informative.sum()))
        parts.append(extra)
        informative = np.concatenate([informative, informative_groups(extra.grouped_rewards())])
    order = list(np.flatnonzero(informative)) + list(np.flatnonzero(~informative))
    return GroupSelection(tuple(parts), informative, tuple(int(i) for i in order[:prompts_per_batch]), refills)
