"""The student summary the teacher sees in context: pass rate over M attempts and
representative passing and failing attempts, truncated to a token budget."""
from __future__ import annotations

import dataclasses
from typing import Callable, Sequence

from data_gen.records import StudentStats


@dataclasses.dataclass(frozen=True)
class GradedAttempt:
    """One student answer and its grade."""

    text: str
    passed: bool
    reason: str = ""


def _approximate_tokens(text: str) -> int:
    return (len(text) + 3) // 4


def _clip(text: str, limit_tokens: int, count_tokens: Callable[[str], int]) -> str:
    if count_tokens(text) <= limit_tokens:
        return text
    low, high = 0, len(text)
    while low < high:  # longest prefix within the budget
        middle = (low + high + 1) // 2
        if count_tokens(text[:middle]) <= limit_tokens - 4:
            low = middle
        else:
            high = middle - 1
    return text[:low] + "\n[...]"


def summarize(attempts: Sequence[GradedAttempt], token_budget: int = 1024, examples_per_side: int = 2,
              count_tokens: Callable[[str], int] = _approximate_tokens) -> StudentStats:
    """Pass rate plus up to `examples_per_side` passing and failing attempts within `token_budget`.

    Failing examples are chosen with distinct failure reasons first, so the teacher sees the
    variety of mistakes rather than one mistake twice.
    """
    total = len(attempts)
    passes = sum(a.passed for a in attempts)
    header = (f"The student model attempted this problem {total} times and passed {passes} "
              f"(pass rate {passes / total if total else 0.0:.2f}).")
    passing = [a for a in attempts if a.passed][:examples_per_side]
    failing, seen_reasons = [], set()
    for attempt in attempts:
        if not attempt.passed and attempt.reason not in seen_reasons:
            failing.append(attempt)
            seen_reasons.add(attempt.reason)
    failing += [a for a in attempts if not a.passed and a not in failing]
    failing = failing[:examples_per_side]

    sections = [(f"Passing attempt {i + 1}:", a) for i, a in enumerate(passing)]
    sections += [(f"Failing attempt {i + 1} ({a.reason or 'wrong'}):", a) for i, a in enumerate(failing)]
    remaining = token_budget - count_tokens(header)
    parts = [header]
    per_section = max(16, remaining // max(1, len(sections))) if sections else 0
    for title, attempt in sections:
        block = f"{title}\n{_clip(attempt.text.strip(), per_section - count_tokens(title) - 2, count_tokens)}"
        if count_tokens("\n\n".join(parts + [block])) > token_budget:
            break
        parts.append(block)
    return StudentStats(attempts=total, passes=passes, summary="\n\n".join(parts))
