import numpy as np
import pytest

from rl.evaluation.intervals import bootstrap_interval


def test_constant_scores_give_a_degenerate_interval():
    interval = bootstrap_interval([0.5] * 20)
    assert (interval.mean, interval.low, interval.high) == pytest.approx((0.5, 0.5, 0.5))


def test_interval_contains_the_mean_and_is_reproducible():
    values = [1, 0, 0, 1, 1, 0, 1, 0, 0, 0] * 5
    first = bootstrap_interval(values, seed=3)
    assert first == bootstrap_interval(values, seed=3)
    assert first.mean == pytest.approx(0.4)
    assert first.low < first.mean < first.high


def test_interval_matches_the_normal_approximation_for_binary_scores():
    values = [1] * 60 + [0] * 140            # p = 0.3 over 200 problems
    interval = bootstrap_interval(values, resamples=4000)
    half_width = 1.96 * np.sqrt(0.3 * 0.7 / 200)
    assert interval.low == pytest.approx(0.3 - half_width, abs=0.015)
    assert interval.high == pytest.approx(0.3 + half_width, abs=0.015)


def test_higher_confidence_gives_a_wider_interval():
    values = [1, 0, 1, 1, 0, 0, 0, 1, 0, 1]
    narrow, wide = bootstrap_interval(values, 0.5), bootstrap_interval(values, 0.99)
    assert wide.low < narrow.low and narrow.high < wide.high


@pytest.mark.parametrize("kwargs", [dict(per_problem=[]), dict(per_problem=[1.0], confidence=1.0),
                                    dict(per_problem=[1.0], resamples=0)])
def test_bad_arguments_are_refused(kwargs):
    with pytest.raises(ValueError):
        bootstrap_interval(**kwargs)
