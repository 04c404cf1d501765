"""configs/eval.py and the `eval` section: sizes load, every benchmark has its section,
and the checkpoint drives the policy's model field."""
import pytest

from configs.eval import get_config
from configs.sections.eval import BENCHMARK_NAMES
from rl.evaluation.benchmark import BENCHMARKS
from rl.evaluation.sampling import EvalSampling
from rl.evaluation.suite import scoring_settings


def test_sizes_load_and_smoke_is_smaller():
    full, smoke = get_config(), get_config("smoke")
    assert full.eval.humaneval.limit == 0 and smoke.eval.humaneval.limit == 5
    assert smoke.eval.max_new_tokens < full.eval.max_new_tokens
    with pytest.raises(ValueError, match="smoke"):
        get_config("huge")


def test_every_benchmark_is_registered_and_configured():
    config = get_config()
    assert set(BENCHMARK_NAMES) == set(BENCHMARKS.names())
    assert all(name in config.eval for name in BENCHMARK_NAMES)


def test_checkpoint_sets_the_policy_model():
    config = get_config()
    config.checkpoint = "/tmp/exported_policy"
    assert config.policy.model == "/tmp/exported_policy"
    assert '"model": "/tmp/exported_policy"' in config.to_json_best_effort()


def test_defaults_are_greedy_pass_at_1():
    config = get_config()
    assert EvalSampling.from_config(config.eval).effective.temperature == 0.0
    assert scoring_settings(config.eval).k_values == (1, 5, 10)
