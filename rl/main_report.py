"""The main job's report: report.md, report.json and PNG plots (reward and pass rate over
steps by difficulty bin and environment; evaluation before and after with intervals; the
time split between stages)."""
from __future__ import annotations

import json
import os
from typing import Mapping, Optional, Sequence

import numpy as np

from data_gen.report import ratio_text
from rl.evaluation.synthetic_change import change_text
from configs import run_paths


def _plt():
    import matplotlib  # lazy: matplotlib.use("Agg") at import would switch a notebook's backend

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # lazy: only after use("Agg")

    return plt


def _series(metrics: Sequence[Mapping], prefix: str) -> dict[str, tuple[list, list]]:
    names = sorted({k for row in metrics for k in row if k.startswith(prefix)})
    out = {}
    for name in names:
        steps = [int(float(row["step"])) for row in metrics if row.get(name) not in (None, "")]
        values = [float(row[name]) for row in metrics if row.get(name) not in (None, "")]
        out[name[len(prefix):]] = (steps, values)
    return out


def plot_training(metrics: Sequence[Mapping], path: str) -> str:
    plt = _plt()
    figure, axes = plt.subplots(1, 3, figsize=(15, 3.8))
    steps = [int(float(row["step"])) for row in metrics]
    axes[0].plot(steps, [float(row["reward_mean"]) for row in metrics], marker="o", label="mean reward")
    axes[0].plot(steps, [float(row["pass_rate_any_in_group"]) for row in metrics], marker=".",
                 label="groups with a pass")
    axes[0].set_title("reward over steps")
    for axis, prefix, title in ((axes[1], "reward_by_bin/", "reward by difficulty bin"),
                                (axes[2], "reward_by_environment/", "reward by environment")):
        for name, (xs, ys) in _series(metrics, prefix).items():
            axis.plot(xs, ys, marker=".", label=name)
        axis.set_title(title)
    for axis in axes:
        axis.set_xlabel("step")
        axis.set_ylim(-0.02, 1.02)
        if axis.get_legend_handles_labels()[0]:
            axis.legend(fontsize=7)
    figure.tight_layout()
    run_paths.save_figure(figure, path, dpi=100)
    plt.close(figure)
    return os.path.basename(path)


def evaluation_rows(before: Mapping, after: Mapping) -> list[dict]:
    """One row per benchmark split and pass@k: before and after with their intervals."""
    rows = []
    after_index = {(b["benchmark"], s["split"], k): v for b in after["benchmarks"] for s in b["scores"]
                   for k, v in s["pass_at"].items()}
    for benchmark in before["benchmarks"]:
        for score in benchmark["scores"]:
            for metric, interval in score["pass_at"].items():
                later = after_index.get((benchmark["benchmark"], score["split"], metric))
                rows.append({"benchmark": benchmark["benchmark"], "split": score["split"], "metric": metric,
                             "problems": score["num_problems"], "before": interval, "after": later})
    return rows


def plot_evaluation(rows: Sequence[Mapping], path: str) -> str:
    plt = _plt()
    figure, axis = plt.subplots(figsize=(max(4, 1.6 * len(rows) + 2), 3.5))
    positions = np.arange(len(rows))
    for offset, key, colour in ((-0.18, "before", "tab:gray"), (0.18, "after", "tab:blue")):
        means = [row[key]["mean"] if row[key] else 0.0 for row in rows]
        lows = [row[key]["mean"] - row[key]["low"] if row[key] else 0.0 for row in rows]
        highs = [row[key]["high"] - row[key]["mean"] if row[key] else 0.0 for row in rows]
        axis.bar(positions + offset, means, width=0.36, yerr=[lows, highs], capsize=4, color=colour, label=key)
    axis.set_xticks(positions, [f"{r['benchmark']}\n{r['split']} {r['metric']}" for r in rows], fontsize=8)
    axis.set_ylim(0, 1)
    axis.set_title("evaluation before / after training (95% bootstrap CI)")
    axis.legend()
    figure.tight_layout()
    run_paths.save_figure(figure, path, dpi=100)
    plt.close(figure)
    return os.path.basename(path)


def plot_time_split(stage_times: Mapping[str, float], metrics: Sequence[Mapping], path: str) -> str:
    plt = _plt()
    figure, axes = plt.subplots(1, 2, figsize=(11, 3.5))
    names = list(stage_times)
    axes[0].barh(names, [stage_times[n] / 60 for n in names], color="tab:green")
    axes[0].set_xlabel("minutes")
    axes[0].set_title("wall time per stage")
    parts = {"generation": "time_generation_s", "grading wait": "time_grading_wait_s", "training": "time_training_s"}
    totals = {label: sum(float(row.get(key) or 0.0) for row in metrics) for label, key in parts.items()}
    axes[1].barh(list(totals), [v / 60 for v in totals.values()], color="tab:orange")
    axes[1].set_xlabel("minutes")
    axes[1].set_title("training time split")
    figure.tight_layout()
    run_paths.save_figure(figure, path, dpi=100)
    plt.close(figure)
    return os.path.basename(path)


def plot_per_problem(per_problem: tuple[Mapping, Mapping], path: str) -> str:
    """Each synthetic problem's pass rate before (x) and after (y) training, per set."""
    plt = _plt()
    before, after = per_problem
    figure, axis = plt.subplots(figsize=(5, 5))
    for name, marker in (("training", "o"), ("held_out", "s")):
        ids = sorted(set(before.get(name, {})) & set(after.get(name, {})))
        axis.scatter([before[name][i] for i in ids], [after[name][i] for i in ids], marker=marker, alpha=0.7,
                     label=f"{name} ({len(ids)})")
    axis.plot([0, 1], [0, 1], color="grey", linewidth=1)
    axis.set_xlabel("pass rate before training")
    axis.set_ylabel("pass rate after training")
    axis.set_xlim(-0.03, 1.03)
    axis.set_ylim(-0.03, 1.03)
    axis.legend(fontsize=8)
    figure.tight_layout()
    run_paths.save_figure(figure, path, dpi=100)
    plt.close(figure)
    return os.path.basename(path)


def _percent(interval) -> str:
    if not interval:
        return "-"
    return f"{100 * interval['mean']:.1f}% [{100 * interval['low']:.1f}, {100 * interval['high']:.1f}]"


_MACHINERY = ("It shows that every stage runs for real on this machine: the teacher writes problems, the "
              "sandbox validates and grades them, the student measures their difficulty, GRPO updates the policy "
              "from sandboxed rewards, and the benchmarks are scored with bootstrap intervals.")


def scope_text(synthetic: Mapping[str, Mapping]) -> str:
    """The report's closing paragraph: what this run's intervals do and do not support."""
    gains = [name.replace("_", "-") for name, change in synthetic.items()
             if change.get("excludes_zero") and change["change"]["mean"] > 0]
    losses = [name.replace("_", "-") for name, change in synthetic.items()
              if change.get("excludes_zero") and change["change"]["mean"] < 0]
    parts = [_MACHINERY]
    if gains:
        parts.append(f"The change on the {' and '.join(gains)} synthetic problems excludes zero: measured on fresh "
                     "samples under the attempt definition its rewards use, the policy got better at problems "
                     "its teacher made. That is this run and these few problems; it does not show the paper's "
                     "effects (gains on held-out benchmarks, the roles of difficulty, curricula and environment "
                     "mix), which need many problems, many updates and several seeds.")
    if losses:
        parts.append(f"The change on the {' and '.join(losses)} synthetic problems excludes zero with a loss: "
                     "training made the policy worse there.")
    if not gains and not losses:
        parts.append("No interval above excludes zero: a handful of problems and updates moved the policy too "
                     "little to tell a change from noise, and a single seed gives no spread across training "
                     "runs. Read the before/after numbers as a check of the machinery, not as a result.")
    return " ".join(parts)


def write_main_report(output_dir: str, dataset_dir: str, before: Mapping, after: Mapping,
                      metrics: Sequence[Mapping], stage_times: Mapping[str, float], config,
                      synthetic: Optional[Mapping[str, Mapping]] = None,
                      per_problem: Optional[tuple[Mapping, Mapping]] = None) -> dict:
    """Write report.md, report.json and the plots; returns the figures."""
    data_report_path = os.path.join(dataset_dir, "report.json")
    data_report = (json.loads(run_paths.run_path(data_report_path).read_text())
                   if run_paths.exists(data_report_path) else {})
    multi = data_report.get("arms", {}).get("multi_turn", {})
    rows = evaluation_rows(before, after)
    rewards = [float(row["reward_mean"]) for row in metrics]
    synthetic = dict(synthetic or {})
    headline = {
        "synthetic": synthetic,
        "usable_problems": multi.get("usable"),
        "training_steps": len(metrics),
        "reward_first_steps": float(np.mean(rewards[:2])) if rewards else None,
        "reward_last_steps": float(np.mean(rewards[-2:])) if rewards else None,
        "evaluation": [{"benchmark": r["benchmark"], "split": r["split"], "metric": r["metric"],
                        "before": r["before"]["mean"], "after": r["after"]["mean"] if r["after"] else None}
                       for r in rows],
    }
    plots = {"training": plot_training(metrics, os.path.join(output_dir, "training_curves.png")) if metrics else None,
             "evaluation": plot_evaluation(rows, os.path.join(output_dir, "evaluation.png")) if rows else None,
             "time": plot_time_split(stage_times, metrics, os.path.join(output_dir, "time_split.png")),
             "per_problem": (plot_per_problem(per_problem, os.path.join(output_dir, "per_problem.png"))
                             if per_problem else None)}
    figures = {"headline": headline, "evaluation": rows, "stage_times_s": dict(stage_times),
               "data_generation": {k: multi.get(k) for k in ("attempts", "problems", "usable", "chains")},
               "yield_ratio": data_report.get("yield_ratio"), "plots": plots}
    with run_paths.open_file(os.path.join(output_dir, "report.json"), "w") as handle:
        json.dump(figures, handle, indent=2, sort_keys=True)

    humaneval = [r for r in rows if r["benchmark"] == "humaneval" and r["split"] == "all"]
    lines = ["# Run report", "", "What training changed:", ""]
    lines += [change_text(name.replace("_", "-") + " synthetic problems", change) for name, change in synthetic.items()]
    lines += [f"- HumanEval ({r['problems']} problems, {r['metric']}): {_percent(r['before'])} -> "
              f"{_percent(r['after'])}" for r in humaneval]
    if plots["per_problem"]:
        lines += ["", f"![per-problem pass rates]({plots['per_problem']})"]
    lines += ["",
             f"Policy `{config.model.checkpoint}`, teacher `{config.teacher.model}` ({config.teacher.backend}), "
             f"student `{config.student.model}`; schedule `{config.curriculum.schedule}`, "
             f"G={config.grpo.group_size}, {config.grpo.prompts_per_batch} prompts per step.", "",
             "## Data generation", ""]
    if config.main.dataset_dir:
        lines.append(f"Existing dataset: `{config.main.dataset_dir}`.")
    lines += [f"- teacher calls: {multi.get('attempts')}; valid problems: {multi.get('problems')}; "
              f"usable (pass rate in the usable band): {multi.get('usable')}; chains: {multi.get('chains')}"]
    ratio = data_report.get("yield_ratio") or {}
    if ratio.get("seeds"):
        lines.append(f"- multi-turn / single-turn yield per teacher token: {ratio_text(ratio)} "
                     f"(95% CI {ratio.get('ratio_ci95')}, {ratio['seeds']} seeds)")
    lines += ["", "## Training", "",
              f"- steps: {len(metrics)}; mean reward first two steps {headline['reward_first_steps']}, "
              f"last two {headline['reward_last_steps']}"]
    lengths = [float(m["response_length_mean"]) for m in metrics if m.get("response_length_mean") is not None]
    if lengths:
        lines.append(f"- mean response length first two steps {np.mean(lengths[:2]):.0f} tokens, "
                     f"last two {np.mean(lengths[-2:]):.0f}")
    if multi.get("problems") is not None:
        lines.append(f"- the curriculum drew from the dataset's {multi.get('problems')} valid problem(s), "
                     f"{multi.get('usable')} of them usable")
        if multi.get("problems") and not multi.get("usable"):
            lines.append("- none was usable: the policy trained on problems the student solved every time or "
                         "never, which carry little signal; the reward curve shows the machinery, not learning")
    lines.append("")
    if plots["training"]:
        lines += [f"![training]({plots['training']})", ""]
    lines += ["## Evaluation before and after", "", "| benchmark | split | metric | problems | before | after |",
              "|---|---|---|---|---|---|"]
    lines += [f"| {r['benchmark']} | {r['split']} | {r['metric']} | {r['problems']} | {_percent(r['before'])} | "
              f"{_percent(r['after'])} |" for r in rows]
    if plots["evaluation"]:
        lines += ["", f"![evaluation]({plots['evaluation']})"]
    lines += ["", "## Time", "", "| stage | minutes |", "|---|---|"]
    lines += [f"| {name} | {seconds / 60:.1f} |" for name, seconds in stage_times.items()]
    lines += ["", f"![time]({plots['time']})", "", "## What a run of this size can and cannot show", "",
              scope_text(synthetic), ""]
    with run_paths.open_file(os.path.join(output_dir, "report.md"), "w") as handle:
        handle.write("\n".join(lines))
    return figures
