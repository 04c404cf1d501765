"""The group layout of a rollout batch: each prompt's G samples are G contiguous rows.

Owns the two conversions every group-aware consumer needs: a flat per-row array to its
`[groups, G]` view (`as_groups`, NumPy or JAX alike) and a list of whole groups to their
row indices (`group_rows`). G itself is carried by the data (`rl.rollout.Rollout.group_size`,
or the train step's static settings), never passed around beside a flat array.
"""
from __future__ import annotations

from typing import Iterable


def as_groups(values, group_size: int):
    """`[groups * G, ...]` -> `[groups, G, ...]` (a view: no copy, same dtype)."""
    if values.ndim < 1 or group_size < 1 or values.shape[0] % group_size:
        raise ValueError(
            f"values of shape {tuple(values.shape)} do not split into groups of G={group_size}; "
            "pass a flat batch whose length is a multiple of the group size"
        )
    return values.reshape((values.shape[0] // group_size, group_size) + tuple(values.shape[1:]))


def group_rows(group_indices: Iterable[int], group_size: int) -> list[int]:
    """The rows of the given groups, group by group in the given order."""
    return [int(g) * group_size + i for g in group_indices for i in range(group_size)]
