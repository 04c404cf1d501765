"""Each schedule samples with its intended frequencies.

Tolerance: every observed pool frequency lies within 4 binomial standard errors
(sqrt(w(1-w)/n)) plus 0.002 of the schedule's weight, with a fixed seed.
"""
import collections

import numpy as np
import pytest

from tests.curriculum.doubles import make_problem, spread_problems
from tests.curriculum.helpers import sampler_for

CHAIN_RATES = {"easy": 28 / 32, "medium": 16 / 32, "hard": 3 / 32}
BROAD_RATES = {"easy": 29 / 32, "easy_medium": 24 / 32, "medium": 16 / 32, "hard": 6 / 32}


def binned_problems(rates: dict, per_bin: int = 40) -> list:
    return [make_problem(k * per_bin + i, rate) for k, rate in enumerate(rates.values()) for i in range(per_bin)]


def assert_frequencies(counts: collections.Counter, weights: dict, draws: int):
    for name, weight in weights.items():
        frequency = counts[name] / draws
        tolerance = 4 * np.sqrt(weight * (1 - weight) / draws) + 0.002
        assert abs(frequency - weight) <= tolerance, (name, frequency, weight, tolerance)


@pytest.mark.parametrize("preset,rates", [
    ("soft", CHAIN_RATES), ("hard", CHAIN_RATES), ("classic", BROAD_RATES),
    ("reverse", BROAD_RATES), ("reverse_medium_start", BROAD_RATES)])
def test_paper_presets_sample_their_phase_weights(preset, rates):
    total_steps, per_step = 200, 64
    sampler = sampler_for(binned_problems(rates), schedule=preset, total_steps=total_steps,
                          prompts_per_step=per_step, seed=3)
    family = sampler.schedule.pools.band_family
    table = sampler.schedule.phase_table
    pool_counts = [collections.Counter() for _ in table.phases]
    for step in range(total_steps):
        draw = sampler.draw_step(step)
        phase = table.phase_index(step, total_steps)
        for row in draw.rows:
            pool_counts[phase][family.bin_of(sampler.catalog.problems[row].pass_rate)] += 1
    for phase, ((start, end), counts) in enumerate(zip(table.boundaries(total_steps), pool_counts)):
        assert_frequencies(counts, table.phases[phase].weights, (end - start) * per_step)


@pytest.mark.parametrize("preset", ["soft", "hard", "classic", "reverse", "reverse_medium_start"])
def test_presets_change_weights_on_the_first_step_of_each_phase(preset):
    rates = CHAIN_RATES if preset in ("soft", "hard") else BROAD_RATES
    sampler = sampler_for(binned_problems(rates, 5), schedule=preset, total_steps=40_000)
    table = sampler.schedule.phase_table
    for phase, (start, end) in enumerate(table.boundaries(40_000)):
        expected = np.array([table.phases[phase].weights[n] for n in table.pool_names])
        for step in (start, end - 1):
            np.testing.assert_allclose(sampler.pool_probabilities(step), expected / expected.sum())


def test_single_level_draws_only_its_bin():
    sampler = sampler_for(binned_problems(BROAD_RATES, 10), schedule="medium_only", prompts_per_step=16)
    rows = [r for step in range(20) for r in sampler.draw_step(step).rows]
    assert {sampler.catalog.problems[r].pass_rate for r in rows} == {0.5}


def test_uniform_visits_every_problem_once_per_epoch():
    sampler = sampler_for(spread_problems(100), schedule="uniform", prompts_per_step=10)
    first_epoch = [r for step in range(10) for r in sampler.draw_step(step).rows]
    second_epoch = [r for step in range(10, 20) for r in sampler.draw_step(step).rows]
    assert sorted(first_epoch) == list(range(100)) == sorted(second_epoch)
    assert first_epoch != second_epoch  # a fresh permutation each epoch


def test_same_seed_same_draws_other_seed_other_draws():
    def rows(seed):
        sampler = sampler_for(spread_problems(200), schedule="classic", total_steps=50, seed=seed)
        return [sampler.draw_step(step).rows for step in range(50)]
    assert rows(1) == rows(1) and rows(1) != rows(2)


def test_environment_mixture_follows_its_phase_ratios():
    problems = spread_problems(400)
    sampler = sampler_for(problems, schedule="phase_table", pool_kind="environment",
                          pool_names=("induction", "deduction", "abduction", "fuzzing"),
                          phases="0.5:induction=1;1.0:induction=0.25,deduction=0.25,abduction=0.25,fuzzing=0.25",
                          total_steps=100, prompts_per_step=32)
    counts = [collections.Counter(), collections.Counter()]
    for step in range(100):
        for row in sampler.draw_step(step).rows:
            counts[step >= 50][sampler.catalog.problems[row].environment] += 1
    assert counts[0] == {"induction": 1600}
    assert_frequencies(counts[1], {e: 0.25 for e in ("induction", "deduction", "abduction", "fuzzing")}, 1600)


def test_unknown_preset_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"unknown curriculum schedule 'sofft'; known: .*classic.*soft"):
        sampler_for(spread_problems(10), schedule="sofft")


def test_a_phase_whose_weights_sum_to_zero_is_named():
    with pytest.raises(ValueError, match=r"phase 0 \(steps 0-50 of 100\).*sum to zero"):
        sampler_for(spread_problems(10, provenance="real") + spread_problems(10), schedule="phase_table",
                    phases="0.5:real=0,synthetic=0;1.0:real=1", total_steps=100)


def test_a_phase_that_selects_an_empty_bin_is_named():
    no_hard = binned_problems({k: v for k, v in BROAD_RATES.items() if k != "hard"}, 5)
    with pytest.raises(ValueError, match=r"phase 3 \(steps 625-750 of 1000\) of schedule 'classic' gives weight "
                                         r"0.25 to bin 'hard' \[0.1, 0.26\) of the broad bins"):
        sampler_for(no_hard, schedule="classic", total_steps=1000)


def test_stepping_stones_under_a_phase_table_sample_only_chain_levels():
    from curriculum.input_pipeline import build_sampler
    from curriculum.settings import CurriculumSettings
    from tests.curriculum.doubles import chain_problems
    from tests.curriculum.helpers import catalog_of
    levels, chains = chain_problems(20)
    catalog = catalog_of(spread_problems(300) + levels, chains)
    sampler = build_sampler(CurriculumSettings(schedule="soft", only_chain_problems=True, split="all",
                                               total_steps=40, prompts_per_step=16), catalog)
    drawn = {sampler.catalog.problems[r].id for step in range(40) for r in sampler.draw_step(step).rows}
    assert drawn <= {p.id for p in levels} and len(drawn) > 30


def test_phase_table_refuses_pools_it_cannot_weigh():
    with pytest.raises(ValueError, match="pool_kind='chains'"):
        sampler_for(spread_problems(10), schedule="phase_table", pool_kind="chains", pool_names=("chains",),
                    phases="1.0:chains=1")
