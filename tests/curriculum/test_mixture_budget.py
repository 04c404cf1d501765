import collections

import pytest

from tests.curriculum.doubles import spread_problems
from tests.curriculum.helpers import sampler_for


def real_and_synthetic():
    real = [p for p in spread_problems(300, provenance="real")]
    synthetic = [p.__class__(**{**p.__dict__, "id": f"s{p.id}"}) for p in spread_problems(200)]
    return real + synthetic


def test_budget_caps_each_pool_at_its_share_of_distinct_problems():
    sampler = sampler_for(real_and_synthetic(), schedule="phase_table", pool_kind="provenance",
                          pool_names=("real", "synthetic"), phases="1.0:real=0.55,synthetic=0.45",
                          budget=100, budget_shares="real=0.55,synthetic=0.45", prompts_per_step=50,
                          total_steps=40)
    assert sampler.pool_sizes == (55, 45)
    seen = collections.defaultdict(set)
    draws = collections.Counter()
    for step in range(40):
        for row in sampler.draw_step(step).rows:
            provenance = sampler.catalog.problems[row].provenance
            seen[provenance].add(row)
            draws[provenance] += 1
    assert len(seen["real"]) == 55 and len(seen["synthetic"]) == 45   # never more distinct than the budget
    assert abs(draws["real"] / 2000 - 0.55) < 4 * (0.55 * 0.45 / 2000) ** 0.5 + 0.002


def test_ratios_may_change_by_phase_under_the_budget():
    sampler = sampler_for(real_and_synthetic(), schedule="phase_table", pool_kind="provenance",
                          pool_names=("real", "synthetic"), phases="0.5:real=1;1.0:synthetic=1",
                          budget=60, budget_shares="real=0.5,synthetic=0.5", prompts_per_step=10, total_steps=20)
    provenances = [{sampler.catalog.problems[r].provenance for r in sampler.draw_step(s).rows} for s in range(20)]
    assert provenances[:10] == [{"real"}] * 10 and provenances[10:] == [{"synthetic"}] * 10


def test_a_budget_larger_than_a_pool_names_the_pool():
    with pytest.raises(ValueError, match="asks 400 problems from provenance pool 'synthetic', which holds 200"):
        sampler_for(real_and_synthetic(), schedule="phase_table", pool_kind="provenance",
                    pool_names=("real", "synthetic"), phases="1.0:real=1,synthetic=1",
                    budget=500, budget_shares="real=0.2,synthetic=0.8")
