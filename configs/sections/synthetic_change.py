"""The `synthetic_change` section: what training changed on the run's own synthetic
problems (rl.evaluation.synthetic_change). Before and after training the policy makes
`attempts` fresh attempts (the student's attempt definition: the rollouts' prompt, answer
parsing, token limit and sampling) at each of its training problems and each problem of
the held-out families (the curriculum's family split), at most `problem_limit` per set
(0: all), seeded by `seed`; the paired change with its bootstrap interval over problems
goes to <output_dir>/synthetic_change.json. `attempts` = 0 turns it off (the paper-scale
experiment configs leave it off unless asked: it costs 2 x attempts x problems samples);
the embedded default main job sets 8.
"""
from __future__ import annotations

import ml_collections

from configs.validation import at_least


def get_synthetic_change_config() -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.attempts = 0
    config.problem_limit = 0
    config.seed = 0
    return config


def validate(section: ml_collections.ConfigDict, name: str = "synthetic_change") -> None:
    at_least(f"{name}.attempts", section.attempts, 0)
    at_least(f"{name}.problem_limit", section.problem_limit, 0)
