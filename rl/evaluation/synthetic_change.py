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
from data_gen.environments import make_environment
from data_gen.records import Problem
from configs import run_paths
from rl.evaluation.intervals import bootstrap_interval
from rl.evaluation.seeds import aggregate_over_seeds
from rl.policy import policy_generator
from rl.rollout import rollout_sampling
from rl.state_files import read_json_or_none, write_json_atomic

PROBLEM_SETS = ("training", "held_out")
BEFORE_FILE, AFTER_FILE, CHANGE_FILE = "synthetic_before.json", "synthetic_after.json", "synthetic_change.json"


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
    """{set: {problem id: pass rate}} for each problem set (all sets in one generate call, so
    the generator batches them together)."""
    everything = [problem for problems in problem_sets.values() for problem in problems]
    rates = pass_rates(generator, everything, environments, executor, sampling, attempts, seed)
    return {name: {problem.id: rates[problem.id] for problem in problems} for name, problems in problem_sets.items()}


def policy_pass_rates(config, policy, executor, problem_sets: Mapping[str, Sequence[Problem]], path: str,
                      label: str) -> dict:
    """{"label", "pass_rates": {set: {problem id: rate}}} of the policy's current parameters,
    with `config.synthetic_change.attempts` attempts per problem under the rollouts' sampling;
    cached in `path` (a finished measurement is read back, not rerun, on resume)."""
    cached = read_json_or_none(path)
    if cached is not None:
        return cached
    generator = policy_generator(policy)
    environments = {name: make_environment(name, config.environments)
                    for name in {p.environment for problems in problem_sets.values() for p in problems}}
    section = config.synthetic_change
    rates = measure(generator, problem_sets, environments, executor, rollout_sampling(config),
                    int(section.attempts), seed=int(section.seed))
    document = {"label": label, "pass_rates": rates}
    write_json_atomic(path, document)
    return document


def write_changes(output_dir: str, before: Mapping, after: Mapping, seed: int) -> dict:
    """{set: paired_change} of two policy_pass_rates documents, written to CHANGE_FILE."""
    changes = {name: paired_change(before["pass_rates"].get(name, {}), after["pass_rates"].get(name, {}), seed=seed)
               for name in PROBLEM_SETS}
    write_json_atomic(run_paths.join(output_dir, CHANGE_FILE), changes)
    return changes


def aggregate_changes(documents: Sequence[Mapping], confidence: float = 0.95) -> dict:
    """Several training seeds' CHANGE_FILE documents -> {set: {"before", "after", "change"}},
    each a SeedAggregate dict (mean, std, t-interval over seeds) of that set's per-seed means;
    sets a seed could not measure (no problems) are left out of that set's values."""
    aggregated = {}
    for name in PROBLEM_SETS:
        measured = [document[name] for document in documents if document.get(name, {}).get("problems")]
        if not measured:
            continue
        aggregated[name] = {
            "seeds": len(measured),
            "before": aggregate_over_seeds([m["before"] for m in measured], confidence).to_dict(),
            "after": aggregate_over_seeds([m["after"] for m in measured], confidence).to_dict(),
            "change": aggregate_over_seeds([m["change"]["mean"] for m in measured], confidence).to_dict(),
        }
    return aggregated


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
