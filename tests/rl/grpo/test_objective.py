"""The GRPO loss on tiny batches whose values can be checked by hand."""
import numpy as np
import pytest

from rl.grpo.aggregation import LOSS_AGGREGATIONS
from rl.grpo.kl import KL_ESTIMATORS
from rl.grpo.objective import ObjectiveSettings, grpo_objective
from rl.grpo.policy_losses import POLICY_LOSSES

LOG = np.log


def test_clipping_on_both_sides():
    clip = POLICY_LOSSES.get("clipped_surrogate")
    old = np.zeros((4, 1))
    # ratios 1.5, 0.5, 1.5, 0.5 against advantages +1, -1, -1, +1
    new = LOG(np.array([[1.5], [0.5], [1.5], [0.5]]))
    advantages = np.array([1.0, -1.0, -1.0, 1.0])
    terms = clip(new, old, advantages, 0.2, 0.28)
    # A>0, r above 1+eps_high: clipped to 1.28 -> loss -1.28
    # A<0, r below 1-eps_low: clipped to 0.8 -> loss +0.8
    # A<0, r above: min(-1.5, -1.28) = -1.5 -> loss 1.5 (unclipped, keeps gradient)
    # A>0, r below: min(0.5, 0.8) = 0.5 -> loss -0.5 (unclipped)
    np.testing.assert_allclose(terms.per_token_loss[:, 0], [-1.28, 0.8, 1.5, -0.5], rtol=1e-6)
    np.testing.assert_array_equal(terms.clipped[:, 0], [1.0, 1.0, 0.0, 0.0])


def test_ratio_inside_trust_region_is_unclipped():
    terms = POLICY_LOSSES.get("clipped_surrogate")(LOG(np.array([[1.1]])), np.zeros((1, 1)), np.array([2.0]), 0.2, 0.28)
    np.testing.assert_allclose(terms.per_token_loss, [[-2.2]], rtol=1e-6)
    assert float(terms.clipped[0, 0]) == 0.0


def test_token_versus_sequence_aggregation():
    per_token = np.array([[1.0, 2.0, 3.0, 0.0], [4.0, 0.0, 0.0, 0.0]])
    mask = np.array([[1.0, 1.0, 1.0, 0.0], [1.0, 0.0, 0.0, 0.0]])
    # token mean: (1+2+3+4)/4 = 2.5; sequence mean: (2 + 4)/2 = 3; constant: 10/8
    assert LOSS_AGGREGATIONS.get("token_mean")(per_token, mask).value() == pytest.approx(2.5)
    assert LOSS_AGGREGATIONS.get("sequence_mean")(per_token, mask).value() == pytest.approx(3.0)
    assert LOSS_AGGREGATIONS.get("token_sum_over_max_length")(per_token, mask).value() == pytest.approx(1.25)


def test_sequence_mean_ignores_fully_masked_rows():
    per_token = np.array([[2.0, 2.0], [9.0, 9.0]])
    mask = np.array([[1.0, 1.0], [0.0, 0.0]])
    assert LOSS_AGGREGATIONS.get("sequence_mean")(per_token, mask).value() == pytest.approx(2.0)


def test_accumulated_parts_equal_whole_batch():
    rng = np.random.default_rng(0)
    per_token = rng.normal(size=(4, 5))
    mask = (rng.uniform(size=(4, 5)) > 0.3).astype(float)
    for name in LOSS_AGGREGATIONS:
        fn = LOSS_AGGREGATIONS.get(name)
        whole = fn(per_token, mask).value()
        first, second = fn(per_token[:2], mask[:2]), fn(per_token[2:], mask[2:])
        combined = (first.total + second.total) / (first.weight + second.weight)
        assert float(combined) == pytest.approx(float(whole), rel=1e-6), name


def test_kl_estimators_by_hand():
    log_probs, reference = LOG(np.array([0.5])), LOG(np.array([0.25]))
    d = LOG(0.5) - LOG(0.25)  # log 2
    assert float(KL_ESTIMATORS.get("k1")(log_probs, reference)[0]) == pytest.approx(d)
    assert float(KL_ESTIMATORS.get("k2")(log_probs, reference)[0]) == pytest.approx(0.5 * d * d)
    # k3 = ref/p - log(ref/p) - 1 = 0.5 + log 2 - 1
    assert float(KL_ESTIMATORS.get("k3")(log_probs, reference)[0]) == pytest.approx(0.5 + np.log(2) - 1, rel=1e-6)
    assert float(KL_ESTIMATORS.get("k3")(log_probs, log_probs)[0]) == pytest.approx(0.0)


def test_objective_with_kl_and_token_mean():
    settings = ObjectiveSettings(kl_beta=0.1, kl_estimator="k1")
    log_probs = LOG(np.array([[0.5, 0.5], [0.5, 0.5]]))
    old = log_probs.copy()
    reference = LOG(np.array([[0.25, 0.25], [0.25, 0.25]]))
    advantages = np.array([1.0, -1.0])
    mask = np.array([[1.0, 1.0], [1.0, 0.0]])
    loss, metrics = grpo_objective(settings, log_probs, old, old, advantages, mask, reference)
    # ratio 1: per-token policy loss -A; tokens: -1, -1, +1 ; kl k1 = log 2 each
    expected = (-1 - 1 + 1) / 3 + 0.1 * np.log(2)
    assert float(loss.value()) == pytest.approx(expected, rel=1e-6)
    assert float(metrics["kl"]) / float(metrics["tokens"]) == pytest.approx(np.log(2), rel=1e-6)


def test_kl_requested_without_reference_is_refused():
    with pytest.raises(ValueError, match="reference"):
        grpo_objective(ObjectiveSettings(kl_beta=0.1), np.zeros((1, 1)), np.zeros((1, 1)), np.zeros((1, 1)),
                       np.ones(1), np.ones((1, 1)))


def test_stale_rollout_importance_correction():
    """pi_old / mu weights each token, truncated at C and carrying no gradient."""
    settings = ObjectiveSettings(importance_weight_cap=2.0)
    log_probs = LOG(np.array([[0.4, 0.4, 0.4]]))
    old = log_probs.copy()                              # first update: r = 1
    behaviour = LOG(np.array([[0.4, 0.8, 0.1]]))        # weights 1, 0.5, 4 -> truncated to 2
    loss, metrics = grpo_objective(settings, log_probs, old, behaviour, np.array([1.0]), np.ones((1, 3)))
    assert float(loss.value()) == pytest.approx(-(1.0 + 0.5 + 2.0) / 3, rel=1e-6)
    assert float(metrics["importance_weight"]) == pytest.approx(3.5, rel=1e-6)
    assert float(metrics["importance_weight_truncated"]) == 1.0
    fresh, _ = grpo_objective(settings, log_probs, old, old, np.array([1.0]), np.ones((1, 3)))
    assert float(fresh.value()) == pytest.approx(-1.0)


def test_importance_weight_has_no_gradient():
    import jax
    import jax.numpy as jnp

    settings = ObjectiveSettings()
    behaviour = jnp.log(jnp.array([[0.8]]))

    def loss_of(old):
        return grpo_objective(settings, jnp.log(jnp.array([[0.4]])), old, behaviour, jnp.ones(1), jnp.ones((1, 1)))[0].value()

    # Only the ratio's 1/pi_old depends on old: d/d old of -(exp(lp - old) * w) = +r * w with w fixed.
    grad = jax.grad(loss_of)(jnp.log(jnp.array([[0.4]])))
    assert float(grad[0, 0]) == pytest.approx(0.5, rel=1e-6)


def test_bad_settings_name_the_field():
    with pytest.raises(ValueError, match="loss aggregation"):
        ObjectiveSettings(loss_aggregation="mean_of_everything").validate()
    with pytest.raises(ValueError, match="kl_beta"):
        ObjectiveSettings(kl_beta=-1.0).validate()


def test_unclipped_surrogate_never_clips():
    terms = POLICY_LOSSES.get("unclipped_surrogate")(LOG(np.array([[2.0]])), np.zeros((1, 1)), np.array([1.0]), 0.2, 0.28)
    np.testing.assert_allclose(terms.per_token_loss, [[-2.0]], rtol=1e-6)
    assert float(terms.clipped[0, 0]) == 0.0


def test_default_config_names_resolve():
    from configs.sections.grpo import get_grpo_config
    from rl.train_step import TrainStepSettings

    config = get_grpo_config()
    settings = TrainStepSettings.from_config(config, temperature=1.0)
    assert settings.objective.epsilon_high > settings.objective.epsilon_low  # clip-higher
    config.advantage_estimator = "group_whitened"
    with pytest.raises(ValueError, match="advantage estimator 'group_whitened'"):
        TrainStepSettings.from_config(config, temperature=1.0)
