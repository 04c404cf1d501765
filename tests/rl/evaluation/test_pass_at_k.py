import math

import pytest

from rl.evaluation.pass_at_k import pass_at_k, pass_at_k_per_problem


@pytest.mark.parametrize("n, c, k, expected", [
    (5, 2, 1, 2 / 5),                     # pass@1 is the fraction correct
    (5, 2, 2, 1 - 3 / 10),                # 1 - C(3,2)/C(5,2)
    (10, 3, 5, 1 - 21 / 252),             # 1 - C(7,5)/C(10,5)
    (10, 0, 5, 0.0),                      # c = 0
    (4, 0, 4, 0.0),                       # c = 0 and k = n
    (4, 1, 4, 1.0),                       # k = n with one correct: certain
    (4, 4, 1, 1.0),
    (1, 1, 1, 1.0),
    (1, 0, 1, 0.0),
])
def test_pass_at_k_matches_hand_computed_values(n, c, k, expected):
    assert pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12)


def test_pass_at_k_equals_the_binomial_formula_on_a_grid():
    for n in range(1, 21):
        for c in range(n + 1):
            for k in range(1, n + 1):
                exact = 1 - math.comb(n - c, k) / math.comb(n, k)
                assert pass_at_k(n, c, k) == pytest.approx(exact, abs=1e-12)


def test_pass_at_k_stays_finite_for_large_n():
    assert pass_at_k(2000, 1, 1000) == pytest.approx(0.5)


@pytest.mark.parametrize("n, c, k", [(5, 2, 6), (5, 2, 0), (5, 6, 1), (5, -1, 1)])
def test_pass_at_k_rejects_impossible_arguments(n, c, k):
    with pytest.raises(ValueError):
        pass_at_k(n, c, k)


def test_pass_at_k_per_problem():
    assert pass_at_k_per_problem([2, 2, 2], [0, 1, 2], 1) == pytest.approx([0.0, 0.5, 1.0])
    with pytest.raises(ValueError):
        pass_at_k_per_problem([2], [0, 1], 1)
