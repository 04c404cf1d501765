"""What training changed on the run's own synthetic problems: the policy's pass rate on its
training problems and on a held-out split (by family, so no variant of a held-out problem is
trained on), before and after training, with paired bootstrap intervals over problems.

Pass rates come from `attempts` fresh samples per problem under the student's attempt
definition (`data_gen.attempt`, the rollout's settings), so they measure the quantity the
rewards and the curriculum's bins are made of.
"""
from __future__ import annotations

from typing import Mapping, Sequence

from curriculum.catalog import Catalog
from curriculum.input_pipeline import within_pass_rate_range
from curriculum.shard_files import read_shard_texts, resolve_shards
from curriculum.splits import family_key, select_split
from data_gen.attempt import pass_rates
from data_gen.records import Problem
from rl.evaluation.intervals import bootstrap_interval

PROBLEM_SETS = ("training", "held_out")


def synthetic_problem_sets(data_files: Sequence[str], curriculum_section, limit: int) -> dict[str, list[Problem]]:
    """The synthetic problems the curriculum trains on, and those of its held-out families,
    both within the curriculum's pass-rate range; at most `limit` of each (0: all)."""
    catalog = Catalog.from_texts(read_shard_texts(resolve_shards(tuple(data_files))))
    rates = tuple(curriculum_section.pass_rate_range)
    fraction, seed = float(curriculum_section.held_out_fraction), int(curriculum_section.split_seed)
    sets = {}
    for name, split in (("training", "train"), ("held_out", "held_out")):
        chosen = within_pass_rate_range(select_split(catalog, split, fraction, seed), rates)
        problems = sorted((p for p in chosen.problems if p.provenance == "synthetic"), key=lambda p: p.id)
        sets[name] = problems[:limit] if limit else problems
    shared = {family_key(p) for p in sets["training"]} & {family_key(p) for p in sets["held_out"]}
    if shared:
        raise AssertionError(f"held-out families also in training: {sorted(shared)}")
    return sets


def measure(generator, problem_sets: Mapping[str, Sequence[Problem]], environments, executor, sampling,
            attempts: int, seed: int) -> dict[str, dict[str, float]]:
    """{set: {problem id: pass rate}} for each problem set."""
    return {name: pass_rates(generator, problems, environments, executor, sampling, attempts, seed)
            for name, problems in problem_sets.items()}


def paired_change(before: Mapping[str, float], after: Mapping[str, float], seed: int = 0,
                  resamples: int = 2000) -> dict:
    """Mean pass rate before and after on the problems measured both times, and the mean
    per-problem change with its 95% bootstrap interval (resampling problems, pairs kept)."""
    ids = sorted(set(before) & set(after))
    if not ids:
        return {"problems": 0}
    change = bootstrap_interval([after[i] - before[i] for i in ids], resamples=resamples, seed=seed)
    return {"problems": len(ids),
            "before": sum(before[i] for i in ids) / len(ids),
            "after": sum(after[i] for i in ids) / len(ids),
            "change": change.to_dict(),
            "excludes_zero": change.low > 0 or change.high < 0}


def change_text(name: str, change: Mapping) -> str:
    """One report line: the set, its problems, the change with its interval, and whether it excludes 0."""
    if not change.get("problems"):
        return f"- {name}: no problems to measure"
    interval = change["change"]
    verdict = "excludes 0" if change["excludes_zero"] else "includes 0"
    return (f"- {name} ({change['problems']} problems): pass rate {100 * change['before']:.1f}% -> "
            f"{100 * change['after']:.1f}%, change {100 * interval['mean']:+.1f} points "
            f"[{100 * interval['low']:+.1f}, {100 * interval['high']:+.1f}] (95% paired bootstrap; {verdict})")
