"""The catalog: the problems (and stepping-stone chains) a run may sample, ordered by id.

Built from record texts however they were read (plain Python or tf.data), so both input
paths see the same rows. A malformed record is skipped and counted with its reason; a
problem id seen twice keeps the first and counts the rest.
"""
from __future__ import annotations

import collections
import dataclasses
import json
from typing import Iterable, Mapping, Optional

from data_gen.records import ENVIRONMENTS, PROVENANCES, Chain, Problem
from curriculum.shard_files import TORN_RECORD


@dataclasses.dataclass(frozen=True)
class Catalog:
    problems: tuple[Problem, ...]
    chains: tuple[Chain, ...] = ()
    skipped: Mapping[str, int] = dataclasses.field(default_factory=dict)
    row_of: Mapping[str, int] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self):
        # Frozen dataclass: the derived id -> row index is set once, here.
        object.__setattr__(self, "row_of", {p.id: row for row, p in enumerate(self.problems)})

    def __len__(self) -> int:
        return len(self.problems)

    def pass_rates(self) -> list[Optional[float]]:
        return [p.pass_rate for p in self.problems]

    def subset(self, keep_ids: Iterable[str]) -> "Catalog":
        """The catalog restricted to `keep_ids`; chains survive only if all their levels do."""
        keep = set(keep_ids)
        problems = tuple(p for p in self.problems if p.id in keep)
        chains = tuple(c for c in self.chains if {c.easy_id, c.medium_id, c.hard_id} <= keep)
        return Catalog(problems, chains, dict(self.skipped))

    @classmethod
    def from_texts(cls, problem_texts: Iterable[str], chain_texts: Iterable[str] = ()) -> "Catalog":
        skipped: collections.Counter = collections.Counter()
        by_id: dict[str, Problem] = {}
        for text in problem_texts:
            problem, reason = _parse_problem(text)
            if reason:
                skipped[reason] += 1
            elif problem.id in by_id:
                skipped["duplicate_problem_id"] += 1
            else:
                by_id[problem.id] = problem
        chains, seen_chain_ids = [], set()
        for text in chain_texts:
            try:
                chain = Chain.from_json(text)
            except (ValueError, TypeError, KeyError):
                skipped["malformed_chain"] += 1
                continue
            if chain.chain_id in seen_chain_ids:
                skipped["duplicate_chain_id"] += 1
            elif not {chain.easy_id, chain.medium_id, chain.hard_id} <= set(by_id):
                skipped["chain_level_missing"] += 1
            else:
                seen_chain_ids.add(chain.chain_id)
                chains.append(chain)
        problems = tuple(by_id[key] for key in sorted(by_id))
        return cls(problems, tuple(sorted(chains, key=lambda c: c.chain_id)), dict(skipped))


def _parse_problem(text: str) -> tuple[Optional[Problem], Optional[str]]:
    if text.strip() == TORN_RECORD:
        return None, "torn_record"
    try:
        problem = Problem.from_json(text)
    except json.JSONDecodeError:
        return None, "malformed_json"
    except ValueError as error:
        return None, "schema_version" if "schema_version" in str(error) else "malformed_record"
    except (TypeError, KeyError, AttributeError):
        return None, "malformed_record"
    if problem.environment not in ENVIRONMENTS:
        return None, "unknown_environment"
    if problem.provenance not in PROVENANCES:
        return None, "unknown_provenance"
    rate = problem.pass_rate
    if rate is not None and not 0.0 <= rate <= 1.0:
        return None, "pass_rate_out_of_range"
    return problem, None
