"""Evaluation reports: a JSON file of scores (with intervals), a JSONL file of every
problem's answers and grades, a short markdown table and TensorBoard scalars
(tensorboard/: `eval/<benchmark>/<split>/pass@k`, at `metadata["step"]` or 0); plus the
same table for one score aggregated over several training seeds' reports.
"""
from __future__ import annotations

import json
import os
from typing import Any, Mapping, Sequence

from configs import run_paths
from rl.evaluation.runner import BenchmarkResult
from rl.evaluation.seeds import aggregate_over_seeds
from rl.metrics_log import write_scalars

RESULTS_JSON = "eval_results.json"
RESULTS_MARKDOWN = "eval_results.md"
SAMPLES_JSONL = "eval_samples.jsonl"


def results_document(results: Sequence[BenchmarkResult], metadata: Mapping[str, Any]) -> dict:
    """The JSON document of one evaluation run: metadata plus each benchmark's scores."""
    return {"metadata": dict(metadata), "benchmarks": [result.to_dict() for result in results]}


def _percent(value: float) -> str:
    return f"{100.0 * value:.1f}"


def markdown_table(document: Mapping[str, Any]) -> str:
    """One row per benchmark split: problems, then each pass@k as `mean [low, high]` in %."""
    metrics = sorted({metric for benchmark in document["benchmarks"] for score in benchmark["scores"]
                      for metric in score["pass_at"]}, key=lambda name: int(name.split("@")[1]))
    confidence = next((interval["confidence"] for benchmark in document["benchmarks"]
                       for score in benchmark["scores"] for interval in score["pass_at"].values()), 0.95)
    header = ["benchmark", "split", "problems"] + [f"{m} % ({confidence:.0%} CI)" for m in metrics] + ["wall time"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for benchmark in document["benchmarks"]:
        for score in benchmark["scores"]:
            cells = [benchmark["benchmark"], score["split"], str(score["num_problems"])]
            for metric in metrics:
                interval = score["pass_at"].get(metric)
                cells.append(f"{_percent(interval['mean'])} [{_percent(interval['low'])}, {_percent(interval['high'])}]"
                             if interval else "-")
            cells.append(f"{benchmark['wall_time_s']:.0f} s")
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_report(results: Sequence[BenchmarkResult], output_dir: str, metadata: Mapping[str, Any]) -> dict:
    """Write the JSON scores, the per-problem samples and the markdown table to `output_dir`."""
    run_paths.makedirs(output_dir)
    document = results_document(results, metadata)
    with run_paths.open_file(os.path.join(output_dir, RESULTS_JSON), "w") as file:
        json.dump(document, file, indent=2, sort_keys=True)
    with run_paths.open_file(os.path.join(output_dir, SAMPLES_JSONL), "w") as file:
        for result in results:
            for outcome in result.outcomes:
                file.write(json.dumps({"benchmark": result.benchmark, **outcome.to_dict()}) + "\n")
    with run_paths.open_file(os.path.join(output_dir, RESULTS_MARKDOWN), "w") as file:
        file.write(markdown_table(document))
    write_scalars(os.path.join(output_dir, "tensorboard"), int(metadata.get("step", 0)), tensorboard_scalars(document))
    return document


def tensorboard_scalars(document: Mapping[str, Any]) -> dict[str, float]:
    """Each benchmark split's pass@k mean as `eval/<benchmark>/<split>/<pass@k>`."""
    return {f"eval/{benchmark['benchmark']}/{score['split']}/{metric}": float(interval["mean"])
            for benchmark in document["benchmarks"] for score in benchmark["scores"]
            for metric, interval in score["pass_at"].items()}


def aggregate_documents(documents: Sequence[Mapping[str, Any]], confidence: float = 0.95) -> list[dict]:
    """Each (benchmark, split, pass@k) present in every seed's document, aggregated over seeds."""
    if not documents:
        raise ValueError("aggregating over seeds needs at least one results document")
    per_key: dict[tuple[str, str, str], list[float]] = {}
    for document in documents:
        for benchmark in document["benchmarks"]:
            for score in benchmark["scores"]:
                for metric, interval in score["pass_at"].items():
                    per_key.setdefault((benchmark["benchmark"], score["split"], metric), []).append(interval["mean"])
    rows = []
    for (benchmark, split, metric), values in per_key.items():
        if len(values) != len(documents):
            continue  # not measured in every seed: a mean over a subset would mislead
        rows.append({"benchmark": benchmark, "split": split, "metric": metric,
                     **aggregate_over_seeds(values, confidence).to_dict()})
    return rows


def seed_markdown_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """Mean ± std and the t-interval over seeds, in %."""
    lines = ["| benchmark | split | metric | seeds | mean % | std % | interval % |", "|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['benchmark']} | {row['split']} | {row['metric']} | {len(row['values'])} | "
                     f"{_percent(row['mean'])} | {_percent(row['std'])} | "
                     f"[{_percent(row['low'])}, {_percent(row['high'])}] |")
    return "\n".join(lines) + "\n"
