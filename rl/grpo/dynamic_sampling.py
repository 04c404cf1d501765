"""Dynamic sampling (DAPO): a group whose G rewards are all equal has zero advantage and
carries no learning signal, so it is dropped and the batch refilled from new prompts.

`informative_groups` is the pure test; `GroupBatchFiller` is the host-side buffer the
rollout loop feeds generation after generation until a batch of informative groups is
full. Both work on NumPy arrays outside jit (the number of kept groups is data-dependent).
"""
from __future__ import annotations

from typing import Mapping

import numpy as np


def informative_groups(rewards: np.ndarray, group_size: int, tolerance: float = 1e-9) -> np.ndarray:
    """Boolean `[num_groups]`: True where the group's rewards are not all equal."""
    rewards = np.asarray(rewards, dtype=np.float64)
    if rewards.ndim != 1 or rewards.shape[0] % group_size:
        raise ValueError(f"rewards of shape {rewards.shape} do not split into groups of G={group_size}")
    grouped = rewards.reshape(-1, group_size)
    return (grouped.max(axis=1) - grouped.min(axis=1)) > tolerance


class GroupBatchFiller:
    """Collects informative groups until `groups_per_batch` are held, then yields a batch.

    Each `add` takes per-sample arrays (leading axis num_groups * G, groups contiguous)
    and a `rewards` entry; uninformative groups are counted and dropped.
    """

    def __init__(self, groups_per_batch: int, group_size: int):
        if groups_per_batch < 1 or group_size < 1:
            raise ValueError("groups_per_batch and group_size must be positive")
        self.groups_per_batch = groups_per_batch
        self.group_size = group_size
        self.dropped_groups = 0
        self._pending: list[dict[str, np.ndarray]] = []
        self._pending_groups = 0

    def add(self, rollouts: Mapping[str, np.ndarray]) -> None:
        keep_group = informative_groups(rollouts["rewards"], self.group_size)
        self.dropped_groups += int((~keep_group).sum())
        if not keep_group.any():
            return
        keep_sample = np.repeat(keep_group, self.group_size)
        self._pending.append({name: np.asarray(value)[keep_sample] for name, value in rollouts.items()})
        self._pending_groups += int(keep_group.sum())

    @property
    def ready(self) -> bool:
        return self._pending_groups >= self.groups_per_batch

    def take(self) -> dict[str, np.ndarray]:
        """The first `groups_per_batch` held groups; the surplus stays for the next batch."""
        if not self.ready:
            raise ValueError(
                f"only {self._pending_groups} of {self.groups_per_batch} informative groups held; "
                "add more rollouts before taking a batch"
            )
        names = self._pending[0].keys()
        merged = {name: np.concatenate([part[name] for part in self._pending]) for name in names}
        cut = self.groups_per_batch * self.group_size
        batch = {name: value[:cut] for name, value in merged.items()}
        surplus = {name: value[cut:] for name, value in merged.items()}
        self._pending_groups -= self.groups_per_batch
        self._pending = [surplus] if self._pending_groups else []
        return batch
