"""Optional format penalty: a completion the environment could not parse (no code block,
no literal) loses `penalty` from its binary reward, so 'wrong' and 'unreadable' differ.
`well_formed` comes from the parse outcome's failure code (`data_gen.environments.base.
AnswerFailure`, `RewardResult.well_formed`), never from the text of its message.
The paper uses plain binary rewards (penalty 0, the default)."""
from __future__ import annotations

import numpy as np


def apply_format_penalty(rewards: np.ndarray, well_formed: np.ndarray, penalty: float) -> np.ndarray:
    if penalty < 0:
        raise ValueError(f"format penalty must be >= 0 (it is subtracted), got {penalty}")
    rewards = np.asarray(rewards, dtype=np.float32)
    return rewards - penalty * (1.0 - np.asarray(well_formed, dtype=np.float32))
