"""Running one benchmark: sample answers batch by batch, grade them, score per split.

Progress (problems done, correct so far, ETA) is shown with tqdm. The result keeps every
problem's outcome (its answers and grades) beside the scores so that a report can show
samples and a later analysis can recompute any metric.
"""
from __future__ import annotations

import dataclasses
import time
from typing import Sequence

from tqdm import tqdm

from rl.evaluation.benchmark import Benchmark, EvalItem
from rl.evaluation.intervals import Interval, bootstrap_interval
from rl.evaluation.pass_at_k import pass_at_k_per_problem
from rl.evaluation.sampling import EvalSampling, sample_answers
from rl.generation.types import TextGenerator


@dataclasses.dataclass(frozen=True)
class ProblemOutcome:
    """One problem's answers and their grades."""

    problem_id: str
    splits: tuple[str, ...]
    answers: tuple[str, ...]
    correct: tuple[bool, ...]
    reasons: tuple[str, ...]
    finish_reasons: tuple[str, ...] = ()     # "stop" | "length" | "error", per answer

    @property
    def num_samples(self) -> int:
        return len(self.correct)

    @property
    def num_correct(self) -> int:
        return sum(self.correct)

    def to_dict(self) -> dict:
        return {**dataclasses.asdict(self), "splits": list(self.splits), "answers": list(self.answers),
                "correct": list(self.correct), "reasons": list(self.reasons),
                "finish_reasons": list(self.finish_reasons)}


@dataclasses.dataclass(frozen=True)
class ScoringSettings:
    """Which pass@k to report and how to bootstrap their intervals."""

    k_values: tuple[int, ...] = (1,)
    confidence: float = 0.95
    resamples: int = 2000
    seed: int = 0


@dataclasses.dataclass(frozen=True)
class SplitScore:
    """pass@k with intervals for one split of a benchmark."""

    split: str
    num_problems: int
    pass_at: dict[int, Interval]

    def to_dict(self) -> dict:
        return {"split": self.split, "num_problems": self.num_problems,
                "pass_at": {f"pass@{k}": interval.to_dict() for k, interval in self.pass_at.items()}}


@dataclasses.dataclass(frozen=True)
class BenchmarkResult:
    """A benchmark's scores per split, its problem outcomes and what it cost."""

    benchmark: str
    scores: tuple[SplitScore, ...]
    outcomes: tuple[ProblemOutcome, ...]
    wall_time_s: float
    sampling: EvalSampling
    skipped_k: tuple[int, ...] = ()

    def to_dict(self, with_outcomes: bool = False) -> dict:
        summary = {"benchmark": self.benchmark, "wall_time_s": self.wall_time_s,
                   "sampling": self.sampling.to_dict(),
                   "skipped_k": list(self.skipped_k),
                   "scores": [score.to_dict() for score in self.scores]}
        if with_outcomes:
            summary["outcomes"] = [outcome.to_dict() for outcome in self.outcomes]
        return summary


def score_outcomes(outcomes: Sequence[ProblemOutcome], scoring: ScoringSettings) -> tuple[list[SplitScore], list[int]]:
    """pass@k per split (splits in order of first appearance) and the k too large for n."""
    if not outcomes:
        return [], []
    fewest_samples = min(outcome.num_samples for outcome in outcomes)
    usable_k = [k for k in scoring.k_values if k <= fewest_samples]
    skipped_k = [k for k in scoring.k_values if k > fewest_samples]
    splits: dict[str, list[ProblemOutcome]] = {}
    for outcome in outcomes:
        for split in outcome.splits:
            splits.setdefault(split, []).append(outcome)
    scores = []
    for split, members in splits.items():
        samples = [member.num_samples for member in members]
        correct = [member.num_correct for member in members]
        pass_at = {k: bootstrap_interval(pass_at_k_per_problem(samples, correct, k), scoring.confidence,
                                         scoring.resamples, scoring.seed)
                   for k in usable_k}
        scores.append(SplitScore(split=split, num_problems=len(members), pass_at=pass_at))
    return scores, skipped_k


def run_benchmark(benchmark: Benchmark, generator: TextGenerator, sampling: EvalSampling,
                  scoring: ScoringSettings, show_progress: bool = True) -> BenchmarkResult:
    """Sample, grade and score every item of `benchmark`."""
    started = time.perf_counter()
    items: list[EvalItem] = benchmark.items()
    if not items:
        raise ValueError(f"benchmark {benchmark.name!r} has no problems (check its path, split and "
                         "date-window settings)")
    outcomes: list[ProblemOutcome] = []
    solved = 0
    with tqdm(total=len(items), desc=benchmark.name, unit="problem", disable=not show_progress) as bar:
        for start in range(0, len(items), sampling.batch_size):
            batch = items[start:start + sampling.batch_size]
            completions = sample_answers(generator, batch, start, sampling)
            answers = [[completion.text for completion in item_completions] for item_completions in completions]
            grades = benchmark.grade(batch, answers)
            for item, item_completions, item_grades in zip(batch, completions, grades):
                outcome = ProblemOutcome(problem_id=item.problem_id, splits=item.splits,
                                         answers=tuple(completion.text for completion in item_completions),
                                         correct=tuple(grade.correct for grade in item_grades),
                                         reasons=tuple(grade.reason for grade in item_grades),
                                         finish_reasons=tuple(c.finish_reason for c in item_completions))
                solved += outcome.num_correct > 0
                outcomes.append(outcome)
            bar.update(len(batch))
            bar.set_postfix(solved=f"{solved}/{len(outcomes)}")
    scores, skipped_k = score_outcomes(outcomes, scoring)
    return BenchmarkResult(benchmark=benchmark.name, scores=tuple(scores), outcomes=tuple(outcomes),
                           wall_time_s=time.perf_counter() - started, sampling=sampling,
                           skipped_k=tuple(skipped_k))
