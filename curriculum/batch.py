"""The batch the trainer receives: the step it is for, prompt tokens and the problems' records."""
from __future__ import annotations

import dataclasses

import numpy as np

from data_gen.records import Problem


@dataclasses.dataclass(frozen=True)
class PromptBatch:
    """One host's prompts for one trainer step (refill_index > 0: a dynamic-sampling refill)."""

    step: int
    problem_ids: tuple[str, ...]
    token_ids: np.ndarray        # [B, L] int32, right-padded
    attention_mask: np.ndarray   # [B, L] int32, 1 on prompt tokens
    problems: tuple[Problem, ...]
    refill_index: int = 0
