"""The data-generation report and dataset card: yields per turn and per arm, the
multi-turn over single-turn yield ratio with a bootstrap interval over seeds, pass-rate
histograms, relation counts, rejection reasons with examples, teacher tokens per usable
problem; written as report.md, report.json, dataset_card.md, PNG plots and TensorBoard
scalars (tensorboard/: the counts per arm and turn and the yield ratio)."""
from __future__ import annotations

import collections
import json
import os
from typing import Optional, Sequence

import numpy as np

from data_gen import output_layout, turn_policy
from data_gen.records import Attempt, Problem
from configs import run_paths
from rl.metrics_log import write_scalars


def _usable(problem: Optional[Problem], band: tuple[float, float]) -> bool:
    return problem is not None and turn_policy.is_usable(problem.pass_rate, band)


def _per_seed(records: output_layout.ArmRecords, band: tuple[float, float], include_chains: bool):
    """Per seed: (usable problems, teacher tokens) over the arm's attempts."""
    problems = {p.id: p for p in records.problems}
    usable: dict[str, int] = collections.Counter()
    tokens: dict[str, int] = collections.Counter()
    for attempt in records.attempts:
        if not include_chains and attempt.turn_kind.startswith("chain"):
            continue
        tokens[attempt.seed_id] += attempt.prompt_tokens + attempt.completion_tokens
        if attempt.problem_id and _usable(problems.get(attempt.problem_id), band):
            usable[attempt.seed_id] += 1
    return usable, tokens


def yield_ratio(multi: output_layout.ArmRecords, single: output_layout.ArmRecords, band: tuple[float, float],
                resamples: int = 2000, seed: int = 0) -> dict:
    """Usable problems per million teacher tokens, multi-turn over single-turn, with a
    percentile bootstrap interval from resampling seeds (chain turns excluded: they have
    no single-turn counterpart)."""
    multi_usable, multi_tokens = _per_seed(multi, band, include_chains=False)
    single_usable, single_tokens = _per_seed(single, band, include_chains=False)
    seeds = sorted(set(multi_tokens) & set(single_tokens))
    if not seeds:
        return {"seeds": 0}
    arrays = np.array([[multi_usable[s], multi_tokens[s], single_usable[s], single_tokens[s]] for s in seeds], float)

    def ratio(rows: np.ndarray) -> float:
        multi_rate = rows[:, 0].sum() / max(rows[:, 1].sum(), 1.0)
        single_rate = rows[:, 2].sum() / max(rows[:, 3].sum(), 1.0)
        if single_rate > 0:
            return float(multi_rate / single_rate)
        return float("inf") if multi_rate > 0 else float("nan")   # 0/0: no usable problem in either arm

    rng = np.random.default_rng(seed)
    draws = [ratio(arrays[rng.integers(0, len(seeds), len(seeds))]) for _ in range(resamples)]
    finite = np.array([d for d in draws if np.isfinite(d)])
    point = ratio(arrays)
    return {
        "seeds": len(seeds),
        "multi_turn_usable_per_million_tokens": float(arrays[:, 0].sum() / max(arrays[:, 1].sum(), 1) * 1e6),
        "single_turn_usable_per_million_tokens": float(arrays[:, 2].sum() / max(arrays[:, 3].sum(), 1) * 1e6),
        "ratio": None if np.isnan(point) else point,
        "ratio_ci95": ([float(np.percentile(finite, 2.5)), float(np.percentile(finite, 97.5))]
                       if len(finite) else None),
        "bootstrap_draws_with_zero_single_turn_yield": int(len(draws) - len(finite)),
    }


def ratio_text(ratio: dict) -> str:
    """The yield ratio for prose: "2.31x", "inf (single-turn made none)", or undefined."""
    value = ratio.get("ratio")
    if value is None:
        return "undefined (no usable problem in either arm)"
    return "inf (the single-turn arm made no usable problem)" if np.isinf(value) else f"{value:.2f}x"


def arm_summary(records: output_layout.ArmRecords, band: tuple[float, float]) -> dict:
    problems = {p.id: p for p in records.problems}
    by_turn: dict[int, list[int]] = collections.defaultdict(lambda: [0, 0, 0])   # attempts, valid, usable
    reasons = collections.Counter()
    examples: dict[str, Attempt] = {}
    for attempt in records.attempts:
        row = by_turn[attempt.turn]
        row[0] += 1
        if attempt.problem_id:
            row[1] += 1
            row[2] += _usable(problems.get(attempt.problem_id), band)
        else:
            reasons[attempt.rejection_reason] += 1
            examples.setdefault(attempt.rejection_reason, attempt)
    usable = [p for p in records.problems if _usable(p, band)]
    tokens = sum(a.prompt_tokens + a.completion_tokens for a in records.attempts)
    return {
        "attempts": len(records.attempts),
        "problems": len(records.problems),
        "usable": len(usable),
        "usable_by_environment": dict(collections.Counter(p.environment for p in usable)),
        "teacher_tokens": tokens,
        "teacher_tokens_per_usable": tokens / len(usable) if usable else None,
        "by_turn": {str(t): {"attempts": v[0], "valid": v[1], "usable": v[2]} for t, v in sorted(by_turn.items())},
        "relations": dict(collections.Counter(p.relation for p in records.problems)),
        "rejections": dict(reasons.most_common()),
        "rejection_examples": {reason: {"attempt_id": a.attempt_id, "diagnostic": a.diagnostic[:300],
                                        "raw_text_head": a.raw_text[:300]} for reason, a in examples.items()},
        "chains": len(records.chains),
        "skipped_lines": dict(records.stats.skipped),
    }


def _histograms(records: output_layout.ArmRecords, path: str, title: str) -> Optional[str]:
    import matplotlib  # lazy: matplotlib.use("Agg") at import would switch a notebook's backend

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # lazy: only after use("Agg")

    by_environment = collections.defaultdict(list)
    for problem in records.problems:
        if problem.pass_rate is not None:
            by_environment[problem.environment].append(problem.pass_rate)
    if not by_environment:
        return None
    figure, axes = plt.subplots(1, len(by_environment), figsize=(4 * len(by_environment), 3), squeeze=False)
    for axis, (environment, rates) in zip(axes[0], sorted(by_environment.items())):
        axis.hist(rates, bins=np.linspace(0, 1, 11), color="tab:blue", edgecolor="white")
        axis.set_title(f"{environment} (n={len(rates)})")
        axis.set_xlabel("student pass rate")
    axes[0][0].set_ylabel("problems")
    figure.suptitle(title)
    figure.tight_layout()
    run_paths.save_figure(figure, path, dpi=100)
    plt.close(figure)
    return os.path.basename(path)


def _counts_text(counts: dict) -> str:
    """{"a": 2, "b": 1} -> "a 2, b 1"; "none" when empty."""
    return ", ".join(f"{name} {count}" for name, count in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))) \
        or "none"


def _by_environment_text(counts: dict) -> str:
    return f" ({_counts_text(counts)})" if counts else ""


def _tokens_per_usable_text(value: Optional[float]) -> str:
    return f"{value:,.0f}" if value is not None else "n/a (no usable problem)"


def tensorboard_scalars(report: dict) -> dict[str, float]:
    """The report's counts as TensorBoard scalars (`data_gen/<arm>/<name>`, the yield ratio)."""
    scalars = {}
    for arm, summary in report.get("arms", {}).items():
        for name in ("attempts", "problems", "usable", "teacher_tokens", "chains"):
            scalars[f"data_gen/{arm}/{name}"] = float(summary[name])
        if summary.get("teacher_tokens_per_usable") is not None:
            scalars[f"data_gen/{arm}/teacher_tokens_per_usable"] = float(summary["teacher_tokens_per_usable"])
        for turn, row in summary["by_turn"].items():
            scalars[f"data_gen/{arm}/usable_by_turn/{turn}"] = float(row["usable"])
    ratio = report.get("yield_ratio", {})
    if ratio.get("ratio") is not None and np.isfinite(ratio["ratio"]):
        scalars["data_gen/yield_ratio"] = float(ratio["ratio"])
    return scalars


def _markdown(report: dict) -> str:
    lines = ["# Data generation report", ""]
    ratio = report.get("yield_ratio", {})
    if ratio.get("seeds"):
        interval = ratio.get("ratio_ci95")
        interval_text = f" (95% bootstrap CI over {ratio['seeds']} seeds: {interval[0]:.2f}-{interval[1]:.2f})" \
            if interval else ""
        lines += [f"Multi-turn over single-turn yield (usable problems per million teacher tokens): "
                  f"**{ratio_text(ratio)}**{interval_text}; multi-turn "
                  f"{ratio['multi_turn_usable_per_million_tokens']:.1f}, single-turn "
                  f"{ratio['single_turn_usable_per_million_tokens']:.1f}. The paper reports more than 4x.", ""]
    for arm, summary in report["arms"].items():
        lines += [f"## {arm}", "",
                  f"- teacher calls: {summary['attempts']}; valid problems: {summary['problems']}; "
                  f"usable: {summary['usable']}{_by_environment_text(summary['usable_by_environment'])}",
                  f"- teacher tokens: {summary['teacher_tokens']:,}; per usable problem: "
                  f"{_tokens_per_usable_text(summary['teacher_tokens_per_usable'])}",
                  f"- chains: {summary['chains']}",
                  f"- relations: {_counts_text(summary['relations'])}", "",
                  "| turn | calls | valid | usable |", "|---|---|---|---|"]
        lines += [f"| {t} | {v['attempts']} | {v['valid']} | {v['usable']} |" for t, v in summary["by_turn"].items()]
        if not summary["rejections"]:
            lines += ["", "No teacher reply was rejected."]
        else:
            lines += ["", "| rejection reason | count | example diagnostic |", "|---|---|---|"]
        for reason, count in summary["rejections"].items():
            example = summary["rejection_examples"][reason]["diagnostic"].replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {reason} | {count} | {example[:120]} |")
        if summary.get("plot"):
            lines += ["", f"![pass rates]({summary['plot']})"]
        lines.append("")
    return "\n".join(lines)


def write_report(output_dir: str, usable_band: Sequence[float], manifest: Optional[dict] = None) -> dict:
    """Read both arms from `output_dir` and write report.json, report.md and the plots."""
    band = (float(usable_band[0]), float(usable_band[1]))
    arms = {arm: output_layout.read_arm(output_dir, arm) for arm in ("multi_turn", "single_turn")}
    report = {"usable_band": list(band), "arms": {}}
    for arm, records in arms.items():
        if not records.attempts:
            continue
        summary = arm_summary(records, band)
        summary["plot"] = _histograms(records, os.path.join(output_dir, f"pass_rates_{arm}.png"),
                                      f"{arm}: student pass rate per problem")
        report["arms"][arm] = summary
    if arms["multi_turn"].attempts and arms["single_turn"].attempts:
        report["yield_ratio"] = yield_ratio(arms["multi_turn"], arms["single_turn"], band)
    if manifest:
        report["manifest"] = manifest
    with run_paths.open_file(os.path.join(output_dir, "report.json"), "w") as handle:
        json.dump(report, handle, indent=2, sort_keys=True)
    with run_paths.open_file(os.path.join(output_dir, "report.md"), "w") as handle:
        handle.write(_markdown(report))
    write_scalars(os.path.join(output_dir, "tensorboard"), 0, tensorboard_scalars(report))
    return report


def write_dataset_card(output_dir: str, config_json: str, manifest: dict, report: dict) -> str:
    """dataset_card.md: what made the dataset (models, prompt versions, config) and its counts."""
    prompt_versions = set()
    for arm in ("multi_turn", "single_turn"):
        for problem in output_layout.read_arm(output_dir, arm).problems:
            if problem.teacher:
                prompt_versions.add(problem.teacher.prompt_version)
    lines = [
        "# Dataset card", "",
        "Synthetic coding problems written by a teacher model and measured by a student model "
        "(multi-turn refinement and a single-turn baseline), with every gold output computed in the sandbox.", "",
        f"- teacher model: {manifest.get('teacher_model')}",
        f"- student model: {manifest.get('student_model')}",
        f"- prompt versions: {', '.join(sorted(prompt_versions)) or 'none'}",
        f"- seeds: {manifest.get('seeds')} ({manifest.get('seeds_kept')} kept after contamination checks)",
    ]
    for arm, summary in report.get("arms", {}).items():
        lines.append(f"- {arm}: {summary['problems']} problems, {summary['usable']} usable, {summary['chains']} chains")
    lines += ["", "Files: `<arm>/problems-h*.jsonl` (data_gen.records.Problem), `attempts`, `families`, `chains`.",
              "", "## Config", "", "```json", config_json, "```", ""]
    path = os.path.join(output_dir, "dataset_card.md")
    with run_paths.open_file(path, "w") as handle:
        handle.write("\n".join(lines))
    return path
