"""What the teacher is asked next: a pure function of the last turn's outcome.

Follows the paper's loop: an invalid instance is followed by a repair turn; a valid one
with pass rate p > harder_above asks for a harder variant, p = 0 or p below the target
band for an easier one, p inside the band for no change (then "harder" while turns remain,
or stop, by config). Resume replays recorded outcomes through this same function.
"""
from __future__ import annotations

from typing import Optional


def next_turn_kind(pass_rate: Optional[float], *, harder_above: float, target_band: tuple[float, float],
                   in_band: str) -> Optional[str]:
    """The next turn kind given the last pass rate (None: the instance was invalid).

    Returns "repair", "harder", "easier", or None to stop the family.
    """
    if pass_rate is None:
        return "repair"
    if pass_rate > harder_above:
        return "harder"
    if pass_rate < target_band[0]:
        return "easier"   # includes p == 0
    if in_band == "harder":
        return "harder"
    if in_band == "stop":
        return None
    raise ValueError(f"data_gen.in_band must be 'harder' or 'stop', got {in_band!r}")


def in_bin(pass_rate: Optional[float], bounds: tuple[float, float]) -> bool:
    """Lower bound inclusive, upper exclusive (a bin reaching 1.0 includes it)."""
    if pass_rate is None:
        return False
    low, high = bounds
    return low <= pass_rate < high or (high >= 1.0 and pass_rate == 1.0)


def is_usable(pass_rate: Optional[float], usable_band: tuple[float, float]) -> bool:
    """Usable problems: pass rate within the usable band, both ends inclusive."""
    return pass_rate is not None and usable_band[0] <= pass_rate <= usable_band[1]
