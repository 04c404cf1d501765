import numpy as np

from tests.curriculum.doubles import chain_problems
from tests.curriculum.helpers import sampler_for

LEVEL_OF_RATE = {28 / 32: 0, 16 / 32: 1, 3 / 32: 2}


def run_walk(reward: float, steps: int = 30, chains: int = 6, group_size: int = 8):
    problems, chain_records = chain_problems(chains)
    sampler = sampler_for(problems, chain_records, schedule="chain_walk", prompts_per_step=chains,
                          walk_threshold=0.7, walk_min_trials=8, prefetch_batches=1)
    chain_of = {p: c.chain_id for c in chain_records for p in (c.easy_id, c.medium_id, c.hard_id)}
    served = {c.chain_id: [] for c in chain_records}
    for step in range(steps):
        draw = sampler.draw_step(step)
        ids = [sampler.catalog.problems[r].id for r in draw.rows]
        for problem_id, row in zip(ids, draw.rows):
            served[chain_of[problem_id]].append(LEVEL_OF_RATE[sampler.catalog.problems[row].pass_rate])
        sampler.add_feedback(sampler.feedback_from_rewards(ids, np.full((len(ids), group_size), reward), step))
    return served


def test_walk_climbs_easy_medium_hard_without_skipping_a_level():
    served = run_walk(reward=1.0)
    for levels in served.values():
        assert levels[0] == 0 and levels[-1] == 2
        assert all(0 <= later - earlier <= 1 for earlier, later in zip(levels, levels[1:])), levels
        assert {0, 1, 2} <= set(levels)


def test_walk_stays_while_the_level_is_not_learned():
    served = run_walk(reward=0.0)
    assert all(set(levels) == {0} for levels in served.values())


def test_walk_needs_enough_trials_before_advancing():
    problems, chain_records = chain_problems(1)
    sampler = sampler_for(problems, chain_records, schedule="chain_walk", prompts_per_step=1,
                          walk_min_trials=16, prefetch_batches=0)
    easy_id = chain_records[0].easy_id
    sampler.draw_step(0)
    sampler.add_feedback(sampler.feedback_from_rewards([easy_id], np.ones((1, 8)), 0))
    assert sampler.catalog.problems[sampler.draw_step(1).rows[0]].id == easy_id   # 8 trials < 16
    sampler.add_feedback(sampler.feedback_from_rewards([easy_id], np.ones((1, 8)), 1))
    assert sampler.catalog.problems[sampler.draw_step(2).rows[0]].id == chain_records[0].medium_id
