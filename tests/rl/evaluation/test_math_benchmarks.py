import os

import ml_collections
import pytest

from rl.evaluation.benchmark import GradingResources
from rl.evaluation.math_benchmarks import load_math_jsonl
from rl.evaluation.runner import ScoringSettings, run_benchmark
from rl.evaluation.sampling import EvalSampling
from rl.evaluation.suite import make_benchmark

from tests.rl.evaluation.doubles import ScriptedGeneratorDouble

DATA = os.path.join(os.path.dirname(__file__), "data")


def _config(name: str, limit: int = 0) -> ml_collections.ConfigDict:
    return ml_collections.ConfigDict({"path": os.path.join(DATA, f"{name}_sample.jsonl"), "limit": limit})


def test_math500_loader_reads_fields_levels_and_counts_malformed_lines():
    loaded = load_math_jsonl(os.path.join(DATA, "math500_sample.jsonl"), "math500")
    assert [p.problem_id for p in loaded.problems] == [f"test/{s}/000{i}.json" for s, i in
                                                        [("prealgebra", 1), ("algebra", 2), ("algebra", 3),
                                                         ("number_theory", 4)]]
    assert loaded.problems[1].answer == "5\\sqrt{2}"
    assert loaded.problems[0].splits == ("all", "level_1")
    assert loaded.skipped == {"not_json": 1, "missing_problem_or_answer": 1}


def test_aime_loader_splits_by_year():
    loaded = load_math_jsonl(os.path.join(DATA, "aime_sample.jsonl"), "aime")
    assert [(p.problem_id, p.answer, p.splits) for p in loaded.problems] == [
        ("2024-I-1", "24", ("all", "2024")), ("2025-II-3", "210", ("all", "2025"))]


def test_missing_file_names_the_config_field():
    with pytest.raises(ValueError, match="eval.math500.path"):
        load_math_jsonl("/nonexistent/math.jsonl", "math500")


def test_math500_end_to_end_with_scripted_answers_in_model_forms():
    answers = {  # right in another form, right, wrong, no answer
        "3}{4}": "Subtract: $\\frac{3}{4}-\\frac{1}{4}=\\frac{2}{4}$, so \\boxed{\\frac{2}{4}}.",
        "sqrt{50}": "We get \\boxed{\\sqrt{2}\\cdot 5}",
        "(x+3)": "\\boxed{x^2+9}",
        "divisors": "I am not sure.",
    }
    generator = ScriptedGeneratorDouble(
        lambda text, index: next(answer for key, answer in answers.items() if key in text))
    benchmark = make_benchmark("math500", _config("math500"), GradingResources())
    result = run_benchmark(benchmark, generator, EvalSampling(batch_size=3), ScoringSettings(k_values=(1, 5)),
                           show_progress=False)
    assert "\\boxed{}" in generator.requests[0].messages[-1].content
    assert [outcome.correct for outcome in result.outcomes] == [(True,), (True,), (False,), (False,)]
    scores = {score.split: score for score in result.scores}
    assert scores["all"].pass_at[1].mean == pytest.approx(0.5)
    assert scores["level_1"].pass_at[1].mean == 1.0 and scores["level_3"].pass_at[1].mean == 0.0
    assert scores["level_2"].num_problems == 2
    assert result.skipped_k == (5,)


def test_limit_takes_the_first_problems():
    benchmark = make_benchmark("aime", _config("aime", limit=1), GradingResources())
    assert [item.problem_id for item in benchmark.items()] == ["2024-I-1"]
