import math

import pytest

from rl.evaluation.seeds import aggregate_over_seeds


def test_three_seeds_give_mean_sample_std_and_t_interval():
    aggregate = aggregate_over_seeds([0.2, 0.4, 0.6])
    assert aggregate.mean == pytest.approx(0.4)
    assert aggregate.std == pytest.approx(0.2)              # sqrt((0.04 + 0 + 0.04) / 2)
    half_width = 4.302653 * 0.2 / math.sqrt(3)               # t_{0.975, df=2}
    assert aggregate.low == pytest.approx(0.4 - half_width, abs=1e-5)
    assert aggregate.high == pytest.approx(0.4 + half_width, abs=1e-5)
    assert aggregate.values == (0.2, 0.4, 0.6)


def test_one_seed_collapses_to_its_value():
    aggregate = aggregate_over_seeds([0.7])
    assert (aggregate.mean, aggregate.std, aggregate.low, aggregate.high) == (0.7, 0.0, 0.7, 0.7)


def test_no_seed_is_refused():
    with pytest.raises(ValueError):
        aggregate_over_seeds([])
