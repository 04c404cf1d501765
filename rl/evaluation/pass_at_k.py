"""The unbiased pass@k estimator of Chen et al. (2021) over n samples per problem.

pass@k = 1 - C(n - c, k) / C(n, k) for a problem with c correct of n samples, computed
as a running product so that large n never overflows.
"""
from __future__ import annotations

from typing import Sequence


def pass_at_k(num_samples: int, num_correct: int, k: int) -> float:
    """Probability that at least one of k samples drawn without replacement is correct."""
    if not 0 <= num_correct <= num_samples:
        raise ValueError(f"num_correct must lie in [0, num_samples={num_samples}], got {num_correct}")
    if not 1 <= k <= num_samples:
        raise ValueError(f"pass@{k} needs 1 <= k <= n samples per problem (n={num_samples}); "
                         f"raise eval.num_samples or lower k")
    if num_samples - num_correct < k:
        return 1.0
    # C(n-c, k) / C(n, k) = prod_{i=n-c+1}^{n} (1 - k / i)
    probability_all_wrong = 1.0
    for i in range(num_samples - num_correct + 1, num_samples + 1):
        probability_all_wrong *= 1.0 - k / i
    return 1.0 - probability_all_wrong


def pass_at_k_per_problem(num_samples: Sequence[int], num_correct: Sequence[int], k: int) -> list[float]:
    """pass@k of each problem, from its sample count and correct count."""
    if len(num_samples) != len(num_correct):
        raise ValueError("num_samples and num_correct must have one entry per problem")
    return [pass_at_k(n, c, k) for n, c in zip(num_samples, num_correct)]
