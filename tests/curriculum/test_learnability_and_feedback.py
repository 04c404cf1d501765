import collections

import numpy as np
import pytest

from tests.curriculum.doubles import make_problem, spread_problems
from tests.curriculum.helpers import sampler_for


def test_learnability_samples_proportional_to_floored_p_one_minus_p():
    rates = [0.0, 0.25, 0.5, 1.0]
    problems = [make_problem(i, rate) for i, rate in enumerate(rates)]
    sampler = sampler_for(problems, schedule="learnability", prompts_per_step=64, learnability_floor=0.01)
    counts = collections.Counter(r for step in range(100) for r in sampler.draw_step(step).rows)
    weights = np.array([0.01, 0.1875, 0.25, 0.01])
    expected = weights / weights.sum()
    draws = 6400
    for row, probability in enumerate(expected):
        tolerance = 4 * np.sqrt(probability * (1 - probability) / draws) + 0.002
        assert abs(counts[row] / draws - probability) <= tolerance


def test_feedback_takes_effect_exactly_lag_steps_later():
    def run(feedback: bool):
        sampler = sampler_for(spread_problems(60), schedule="learnability", prompts_per_step=8,
                              prefetch_batches=2, trainer_asynchrony=1)
        lag = sampler.settings.feedback_lag
        assert lag == 4
        draws, trials_seen = [], []
        for step in range(12):
            trials_seen.append(int(sampler.state.estimate.trials.sum()))
            draws.append(sampler.draw_step(step).rows)
            if feedback and step == 0:
                ids = [sampler.catalog.problems[r].id for r in draws[0]]
                sampler.add_feedback(sampler.feedback_from_rewards(ids, np.ones((8, 16)), step=0))
        return draws, trials_seen

    with_feedback, trials = run(True)
    without_feedback, _ = run(False)
    assert with_feedback[:4] == without_feedback[:4]
    assert trials[:5] == [0] * 5 and trials[5] == 8 * 16   # applied while drawing step 0 + lag = 4
    assert with_feedback[4:] != without_feedback[4:]


def test_late_feedback_is_refused_for_a_reactive_schedule():
    sampler = sampler_for(spread_problems(30), schedule="learnability", prefetch_batches=0)
    for step in range(3):
        rows = sampler.draw_step(step).rows
    ids = [sampler.catalog.problems[r].id for r in rows]
    with pytest.raises(ValueError, match=r"observe\(step=0\) arrived after step 1 was already drawn"):
        sampler.add_feedback(sampler.feedback_from_rewards(ids, np.ones((len(ids), 4)), step=0))


def test_observe_checks_its_arguments():
    sampler = sampler_for(spread_problems(10), schedule="learnability")
    with pytest.raises(ValueError, match=r"shaped \[problems, G\] = \[2, G\]"):
        sampler.feedback_from_rewards(["p00000", "p00001"], np.ones(2), 0)
    with pytest.raises(ValueError, match="not in this curriculum's catalog"):
        sampler.feedback_from_rewards(["nope"], np.ones((1, 2)), 0)


def test_ema_and_beta_estimates_move_toward_observed_rewards():
    for estimator in ("beta", "ema"):
        sampler = sampler_for([make_problem(0, 0.5)], schedule="learnability", estimator=estimator,
                              prefetch_batches=0, prompts_per_step=1)
        sampler.draw_step(0)
        sampler.add_feedback(sampler.feedback_from_rewards(["p00000"], np.ones((1, 8)), 0))
        sampler.draw_step(1)
        expected = (1 + 8) / (2 + 8) if estimator == "beta" else 0.5 + 0.3 * 0.5
        assert sampler.state.estimate.mean()[0] == pytest.approx(expected)


def test_refills_are_reproducible_and_leave_later_steps_unchanged():
    def run(with_refills: bool):
        sampler = sampler_for(spread_problems(40), schedule="classic", prompts_per_step=4, total_steps=20)
        steps, refills = [], []
        for step in range(8):
            steps.append(sampler.draw_step(step).rows)
            if with_refills:
                refills.append(sampler.draw_refill(step, 1, 3).rows)
        return steps, refills

    steps_with, refills = run(True)
    steps_without, _ = run(False)
    assert steps_with == steps_without
    assert refills == run(True)[1] and all(len(r) == 3 for r in refills)
