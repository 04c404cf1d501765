"""The group as an explicit shape: a rollout carries its G from the sampler on, its rewards
group as [prompts, G], group selection keeps whole groups in order, rollouts of different
G do not concatenate, and the advantages computed from the [prompts, G] shape equal the
flat computation they replaced."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rl.generation.sampling import Sampling
from rl.grpo.advantages import ADVANTAGE_ESTIMATORS
from rl.grpo.dynamic_sampling import select_groups
from rl.grpo.groups import as_groups
from rl.rollout import Rollout, concatenate, sample_rollout, train_arrays
from rl.sampling.sampler import SampleOutput


def _graded(rewards, group_size, name="p"):
    """A graded rollout whose rows are named `<name><group>.<sample>`."""
    rows = len(rewards)
    texts = [f"{name}{row // group_size}.{row % group_size}" for row in range(rows)]
    return Rollout(step=0, policy_version=0, group_size=group_size,
                   problems=tuple(f"{name}{row // group_size}" for row in range(rows)),
                   prompt_tokens=[[1, row] for row in range(rows)],
                   completion_tokens=[[2, 3][:1 + row % 2] for row in range(rows)],
                   behaviour_log_probs=[[-0.5] * (1 + row % 2) for row in range(rows)],
                   finish_reasons=["stop"] * rows, texts=texts, rewards=np.asarray(rewards, np.float32),
                   reward_reasons=[""] * rows, well_formed=np.ones(rows, bool))


class _SamplerDouble:
    def __init__(self):
        self.prompts = None

    def sample(self, prompts, **kwargs):
        self.prompts = prompts
        return SampleOutput(tokens=[[7] for _ in prompts], log_probs=[[-1.0] for _ in prompts],
                            finish_reasons=["stop"] * len(prompts), prompt_lengths=[len(p) for p in prompts])


def test_the_sampler_sets_the_group_size_it_was_asked_for():
    sampler = _SamplerDouble()
    rollout = sample_rollout(sampler, [[1], [2]], ("a", "b"), group_size=3,
                             sampling=Sampling(temperature=1.0, max_new_tokens=1), stop_token_ids=(),
                             decode=str, rng=jax.random.key(0), step=0, policy_version=0)
    assert rollout.group_size == 3 and rollout.groups == 2 and rollout.size == 6
    assert sampler.prompts == [[1]] * 3 + [[2]] * 3
    assert rollout.group_problems() == ("a", "b")


def test_grouped_rewards_are_prompts_by_g():
    rollout = _graded([1, 0, 0, 0, 1, 1, 0, 1, 0, 0, 0, 0], group_size=4)
    grouped = rollout.grouped_rewards()
    assert grouped.shape == (3, 4)
    np.testing.assert_array_equal(grouped[1], [1, 1, 0, 1])
    assert rollout.group_problems() == ("p0", "p1", "p2")


def test_an_ungraded_rollout_has_no_grouped_rewards():
    rollout = _graded([0, 1], group_size=2)
    rollout.rewards = None
    with pytest.raises(ValueError, match="not graded"):
        rollout.grouped_rewards()


def test_a_rollout_holds_whole_groups_only():
    with pytest.raises(ValueError, match="whole groups of G=4"):
        _graded([0, 1, 0, 1, 0, 1], group_size=4)


def test_taking_groups_keeps_whole_groups_in_the_order_asked():
    rollout = _graded(np.arange(12) / 12, group_size=3)
    taken = rollout.take_groups([3, 0, 2])
    assert taken.group_size == 3 and taken.groups == 3
    assert taken.texts == ["p3.0", "p3.1", "p3.2", "p0.0", "p0.1", "p0.2", "p2.0", "p2.1", "p2.2"]
    assert taken.group_problems() == ("p3", "p0", "p2")
    np.testing.assert_array_equal(taken.grouped_rewards(), rollout.grouped_rewards()[[3, 0, 2]])


def test_concatenation_needs_one_group_size():
    joined = concatenate([_graded([0, 1, 1, 1], 2, "a"), _graded([0, 0], 2, "b")])
    assert joined.group_size == 2 and joined.group_problems() == ("a0", "a1", "b0")
    with pytest.raises(ValueError, match="different group sizes: G=2, G=4"):
        concatenate([_graded([0, 1], 2), _graded([0, 1, 1, 1], 4)])


def test_dynamic_sampling_chooses_whole_groups_across_refills():
    first = _graded([1, 1, 0, 1, 0, 0], 2, "a")
    refill = _graded([0, 1, 1, 1], 2, "b")
    selection = select_groups(first, lambda index, missing: refill, prompts_per_batch=3, max_refills=1)
    chosen = concatenate(selection.parts).take_groups(selection.chosen_groups)
    assert selection.chosen_groups == (1, 3, 0)
    assert chosen.group_problems() == ("a1", "b0", "a0")
    assert chosen.texts == ["a1.0", "a1.1", "b0.0", "b0.1", "a0.0", "a0.1"]


def test_a_hosts_rows_of_the_train_batch_are_the_full_batchs_rows():
    rollout = _graded([0, 1, 1, 0, 0, 0], group_size=3)
    full = train_arrays(rollout, 4, pad_id=0)
    share = train_arrays(rollout, 4, pad_id=0, rows=range(2, 5))     # across a group boundary
    for name, array in full.items():
        np.testing.assert_array_equal(share[name], array[2:5], err_msg=name)


def _flat_reference(name, rewards, group_size, epsilon=1e-6):
    """The estimators as they were computed from a flat batch and a separate G."""
    grouped = jnp.asarray(rewards, jnp.float32).reshape(-1, group_size)
    centred = grouped - grouped.mean(axis=1, keepdims=True)
    if name == "group_normalised":
        centred = centred / (grouped.std(axis=1, keepdims=True) + epsilon)
    return np.asarray(centred.reshape(-1))


@pytest.mark.parametrize("name", ["group_mean", "group_normalised"])
@pytest.mark.parametrize("group_size", [2, 4, 8])
def test_advantages_from_the_group_shape_equal_the_flat_computation(name, group_size):
    rng = np.random.default_rng(group_size)
    for rewards in (rng.integers(0, 2, 6 * group_size).astype(np.float32),
                    rng.uniform(-0.1, 1.0, 6 * group_size).astype(np.float32)):
        rollout = _graded(rewards, group_size)
        grouped = ADVANTAGE_ESTIMATORS.get(name)(rollout.grouped_rewards())
        assert grouped.shape == (6, group_size)
        np.testing.assert_allclose(np.asarray(grouped).reshape(-1), _flat_reference(name, rewards, group_size),
                                   rtol=1e-6, atol=1e-7)
        jitted = jax.jit(lambda r: ADVANTAGE_ESTIMATORS.get(name)(as_groups(r, group_size)).reshape(-1))
        np.testing.assert_allclose(jitted(jnp.asarray(rewards)), _flat_reference(name, rewards, group_size),
                                   rtol=1e-6, atol=1e-7)


def test_an_estimator_refuses_a_flat_batch():
    with pytest.raises(ValueError, match=r"not \[groups, G\]"):
        ADVANTAGE_ESTIMATORS.get("group_mean")(np.zeros(8))
