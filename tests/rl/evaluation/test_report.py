import json
import os

import pytest

from rl.evaluation.aggregate_seeds import main as aggregate_main
from rl.evaluation.report import (RESULTS_JSON, RESULTS_MARKDOWN, SAMPLES_JSONL, aggregate_documents,
                                  write_report)
from rl.evaluation.runner import BenchmarkResult, ProblemOutcome, ScoringSettings, score_outcomes
from rl.evaluation.sampling import EvalSampling
from rl.generation.sampling import Sampling


def _result(correct_per_problem, name="bench"):
    outcomes = [ProblemOutcome(problem_id=f"p{i}", splits=("all", "easy" if i % 2 else "hard"),
                               answers=tuple("a" for _ in correct), correct=tuple(correct),
                               reasons=tuple("r" for _ in correct))
                for i, correct in enumerate(correct_per_problem)]
    scores, skipped = score_outcomes(outcomes, ScoringSettings(k_values=(1, 2, 8)))
    return BenchmarkResult(benchmark=name, scores=tuple(scores), outcomes=tuple(outcomes), wall_time_s=12.0,
                           sampling=EvalSampling(num_samples=2, sampling=Sampling(temperature=1.0)),
                           skipped_k=tuple(skipped))


def test_scores_per_split_follow_pass_at_k():
    result = _result([(True, False), (False, False), (True, True), (False, True)])
    scores = {score.split: score for score in result.scores}
    assert scores["all"].pass_at[1].mean == pytest.approx(0.5)
    assert scores["all"].pass_at[2].mean == pytest.approx(0.75)
    assert scores["easy"].pass_at[1].mean == pytest.approx(0.25)      # p1 (0/2) and p3 (1/2)
    assert scores["hard"].pass_at[2].mean == pytest.approx(1.0)       # p0 and p2
    assert result.skipped_k == (8,)


def test_write_report_files(tmp_path):
    document = write_report([_result([(True, False), (False, False)])], str(tmp_path), {"checkpoint": "x"})
    on_disk = json.loads((tmp_path / RESULTS_JSON).read_text())
    assert on_disk == json.loads(json.dumps(document))
    assert on_disk["benchmarks"][0]["scores"][0]["pass_at"]["pass@1"]["mean"] == pytest.approx(0.25)
    samples = [json.loads(line) for line in (tmp_path / SAMPLES_JSONL).read_text().splitlines()]
    assert [sample["problem_id"] for sample in samples] == ["p0", "p1"]
    table = (tmp_path / RESULTS_MARKDOWN).read_text().splitlines()
    assert table[0].startswith("| benchmark | split | problems | pass@1 % (95% CI) | pass@2 %")
    assert table[2].startswith("| bench | all | 2 | 25.0 [")


def test_seed_aggregation_of_documents_and_command_line(tmp_path, capsys):
    paths = []
    for seed, rows in enumerate([[(True, True), (False, False)], [(True, False), (False, False)],
                                 [(True, True), (True, True)]]):
        directory = tmp_path / f"seed{seed}"
        write_report([_result(rows)], str(directory), {"seed": seed})
        paths.append(str(directory / RESULTS_JSON))
    documents = [json.load(open(path)) for path in paths]
    rows = {(row["split"], row["metric"]): row for row in aggregate_documents(documents)}
    assert rows[("all", "pass@1")]["values"] == pytest.approx([0.5, 0.25, 1.0])
    assert rows[("all", "pass@1")]["mean"] == pytest.approx(1.75 / 3)
    assert aggregate_main(paths + ["--output", str(tmp_path / "seeds.json")]) == 0
    assert "| bench | all | pass@1 | 3 | 58.3 |" in capsys.readouterr().out
    assert os.path.exists(tmp_path / "seeds.json")
