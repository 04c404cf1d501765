"""Request seeds that are the same on every rerun of the same attempt (`stable_seed`).
How a role's requests are sampled is `rl.generation.sampling.Sampling`."""
from __future__ import annotations

import hashlib


def stable_seed(*parts: str) -> int:
    """A request seed that is the same on every rerun of the same attempt."""
    return int.from_bytes(hashlib.sha256("\x00".join(parts).encode()).digest()[:4], "little")
