"""The throughput benchmark's fixed problems stay valid and its answers grade half right."""
import pytest

from data_gen.environments import GradingItem, grade, make_environment
from data_gen.environments.bench import ANSWERS, bench_problem


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_bench_problem_is_valid_and_answers_grade_right_then_wrong(name, executor):
    problem = bench_problem(name, executor)
    environment = make_environment(name)
    results = grade([GradingItem(environment, problem, text) for text in ANSWERS[name]], executor)
    assert [r.reward for r in results] == [1, 0], results
