"""The pure, sharded GRPO train step: `(state, rng, batch) -> (state, metrics)`.

One call consumes one rollout batch: it computes group-relative advantages from the
rewards, the old (proximal) policy's log-probs with the parameters it was handed (a
separate forward pass only when several updates share the batch; with one, they are the
update's own log-probs without gradient), and then takes `updates_per_batch` optimiser updates (PPO mini-batches), each accumulating
gradients over `micro_batches` micro-batches. The model is a Flax NNX module used
functionally (graphdef static, parameters a pytree). The step is jitted with the state
donated and explicit in/out shardings over the mesh.

Numerics: parameters, gradients and optimiser state are float32; the model computes in
its config's `dtype` (bfloat16 for speed) with norms, softmax, logits and log-probs in
float32; rematerialisation is the model config's `remat`.

Batch layout (B sequences, T tokens, groups of G contiguous; per-token arrays are aligned
with the predicted tokens `tokens[:, 1:]`, so they have T - 1 columns):
  tokens [B, T] int32, key_mask [B, T] bool (False on padding),
  completion_mask [B, T-1] float (1 on completion tokens), behaviour_log_probs
  [B, T-1] (the sampler's, temperature-scaled full softmax), rewards [B], truncated [B]
  bool (hit the length limit).
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping, Optional

import flax.struct
import jax
import jax.numpy as jnp
import optax
from flax import nnx
from jax.sharding import NamedSharding, PartitionSpec

from rl.grpo.advantages import ADVANTAGE_ESTIMATORS
from rl.grpo.aggregation import LossSum
from rl.grpo.groups import as_groups
from rl.grpo.objective import ObjectiveSettings, grpo_objective
from rl.grpo.overlong import filter_overlong
from rl.models.forward import token_log_probs
from rl.models.layer_stack import per_layer_rank

Batch = Mapping[str, jax.Array]
BATCH_FIELDS = ("tokens", "key_mask", "completion_mask", "behaviour_log_probs", "rewards", "truncated")


@flax.struct.dataclass
class TrainState:
    """Everything the step changes, as one pytree. `reference_params` is None without KL."""

    step: jax.Array                 # optimiser updates taken so far (int32 scalar)
    params: nnx.State               # float32 trainable parameters
    opt_state: optax.OptState
    reference_params: Optional[nnx.State] = None


@dataclasses.dataclass(frozen=True)
class TrainStepSettings:
    """The static part of the step: the `grpo` config section and the rollouts' temperature."""

    objective: ObjectiveSettings = ObjectiveSettings()
    group_size: int = 8
    advantage_estimator: str = "group_mean"
    overlong_filtering: bool = True
    recompute_old_log_probs: bool = True
    updates_per_batch: int = 1
    micro_batches: int = 1
    temperature: float = 1.0        # the rollouts' sampling temperature; the log-probs are scaled by it

    @classmethod
    def from_config(cls, grpo: Any, *, temperature: float) -> "TrainStepSettings":
        """From the `grpo` section and the rollouts' sampling temperature (`train.temperature`,
        as `rl.rollout.rollout_sampling` reads it)."""
        objective = ObjectiveSettings(
            policy_loss=grpo.policy_loss,
            loss_aggregation=grpo.loss_aggregation,
            epsilon_low=grpo.epsilon_low,
            epsilon_high=grpo.epsilon_high,
            kl_beta=grpo.kl_beta,
            kl_estimator=grpo.kl_estimator,
            importance_weight_cap=grpo.importance_weight_cap,
        )
        return cls(
            objective=objective,
            group_size=grpo.group_size,
            advantage_estimator=grpo.advantage_estimator,
            overlong_filtering=grpo.overlong_filtering,
            recompute_old_log_probs=grpo.recompute_old_log_probs,
            updates_per_batch=grpo.updates_per_batch,
            micro_batches=grpo.micro_batches,
            temperature=float(temperature),
        ).validate()

    def validate(self) -> "TrainStepSettings":
        self.objective.validate()
        ADVANTAGE_ESTIMATORS.get(self.advantage_estimator)
        for name in ("group_size", "updates_per_batch", "micro_batches"):
            if getattr(self, name) < 1:
                raise ValueError(f"grpo.{name} must be >= 1, got {getattr(self, name)}")
        if self.temperature <= 0:
            raise ValueError(f"train.temperature must be > 0, got {self.temperature}")
        return self

    def check_batch_size(self, batch_size: int) -> None:
        pieces = self.updates_per_batch * self.micro_batches
        if batch_size % self.group_size or batch_size % pieces:
            raise ValueError(
                f"a rollout batch of {batch_size} sequences must be a multiple of grpo.group_size "
                f"({self.group_size}) and of updates_per_batch * micro_batches ({pieces})"
            )


def make_learning_rate_schedule(optimizer_config: Any) -> optax.Schedule:
    """Linear warm-up from 0 to the peak, then cosine decay to peak * final fraction."""
    peak = optimizer_config.learning_rate
    return optax.warmup_cosine_decay_schedule(
        init_value=0.0,
        peak_value=peak,
        warmup_steps=optimizer_config.warmup_steps,
        decay_steps=max(optimizer_config.total_steps, optimizer_config.warmup_steps + 1),
        end_value=peak * optimizer_config.final_learning_rate_fraction,
    )


def _decayed(params: nnx.State) -> Any:
    """The weight-decay mask: the matrices, i.e. parameters of rank >= 2 within one layer (the
    stacked layers' leading axis not counted) that are not biases (the q/k/v biases are
    [heads, head_dim]: rank 2, still biases)."""

    def is_matrix(path, leaf) -> bool:
        keys = [str(entry.key) for entry in path if hasattr(entry, "key")]   # the state's dict keys
        name = keys[-1] if keys else ""
        return per_layer_rank(path, leaf) >= 2 and not name.endswith("bias")

    return jax.tree_util.tree_map_with_path(is_matrix, params)


def make_optimizer(optimizer_config: Any) -> optax.GradientTransformation:
    """AdamW on the warm-up/cosine schedule, after global-norm gradient clipping.

    Weight decay skips vectors (norm scales, biases), as is usual for transformers; see `_decayed`.
    """
    return optax.chain(
        optax.clip_by_global_norm(optimizer_config.max_grad_norm),
        optax.adamw(
            make_learning_rate_schedule(optimizer_config),
            b1=optimizer_config.b1,
            b2=optimizer_config.b2,
            weight_decay=optimizer_config.weight_decay,
            mask=_decayed,
        ),
    )


def create_train_state(
    params: nnx.State, optimizer: optax.GradientTransformation, reference_params: Optional[nnx.State] = None
) -> TrainState:
    """A fresh state; jitted so the optimiser state is created with the parameters' sharding."""

    def build(params, reference_params):
        return TrainState(jnp.zeros((), jnp.int32), params, optimizer.init(params), reference_params)

    return jax.jit(build)(params, reference_params)


def state_shardings(state: TrainState) -> TrainState:
    """The sharding of every leaf of a (created) state, for the step's in/out shardings."""
    return jax.tree.map(lambda leaf: leaf.sharding, state)


def _split_rows(array: jax.Array, pieces: int, row_sharding: NamedSharding) -> jax.Array:
    """[B, ...] -> [pieces, B / pieces, ...] taking rows strided, so that each piece keeps
    every device's share of the batch (no data moves between devices)."""
    rows = array.shape[0] // pieces
    strided = array.reshape((rows, pieces) + array.shape[1:])
    strided = jax.lax.with_sharding_constraint(strided, row_sharding)
    return jnp.swapaxes(strided, 0, 1)


def _merge_rows(pieces_array: jax.Array) -> jax.Array:
    """The inverse of `_split_rows`: [pieces, B / pieces, ...] -> [B, ...] in the original order."""
    strided = jnp.swapaxes(pieces_array, 0, 1)
    return strided.reshape((-1,) + strided.shape[2:])


def make_train_step(
    settings: TrainStepSettings,
    graphdef: nnx.GraphDef,
    optimizer: optax.GradientTransformation,
    shardings: TrainState,
    batch_sharding: NamedSharding,
    optimizer_config: Any = None,
) -> Callable[[TrainState, jax.Array, Batch], tuple[TrainState, dict[str, jax.Array]]]:
    """The jitted step. `shardings` is `state_shardings(state)`; `batch_sharding` shards
    the leading (sequence) axis of every batch array over the mesh's data axes; with the
    `optimizer_config` the metrics include the learning rate of the batch's first update."""
    settings.validate()
    schedule = None if optimizer_config is None else make_learning_rate_schedule(optimizer_config)
    mesh = batch_sharding.mesh
    row_axes = batch_sharding.spec[0] if len(batch_sharding.spec) else None
    row_sharding = NamedSharding(mesh, PartitionSpec(row_axes))
    pieces = settings.updates_per_batch * settings.micro_batches
    temperature = settings.temperature

    def log_probs_of(params, tokens, key_mask):
        return token_log_probs(graphdef, params, tokens, temperature, key_mask)

    def micro_batch_loss(params, reference_params, micro):
        log_probs = log_probs_of(params, micro["tokens"], micro["key_mask"])
        reference_log_probs = None
        if settings.objective.kl_beta > 0:
            reference_log_probs = jax.lax.stop_gradient(
                log_probs_of(reference_params, micro["tokens"], micro["key_mask"])
            )
        # With one update per batch the proximal policy is the current one: its log-probs are
        # these, without gradient (no second forward pass; tunix's learner does the same).
        old_log_probs = micro["old_log_probs"] if "old_log_probs" in micro else jax.lax.stop_gradient(log_probs)
        loss, metric_sums = grpo_objective(
            settings.objective,
            log_probs,
            old_log_probs,
            micro["behaviour_log_probs"],
            micro["advantages"],
            micro["completion_mask"],
            reference_log_probs,
        )
        return loss.total, (loss, metric_sums)

    gradient_of = jax.grad(micro_batch_loss, has_aux=True)

    def accumulate_gradients(state: TrainState, mini):
        """Sum the gradients, loss and metric sums of the mini-batch's micro-batches."""
        micros = jax.tree.map(lambda x: _split_rows(x, settings.micro_batches, row_sharding), mini)

        def accumulate(carry, micro):
            grads, total, weight, sums = carry
            micro_grads, (loss, metric_sums) = gradient_of(state.params, state.reference_params, micro)
            grads = jax.tree.map(jnp.add, grads, micro_grads)
            sums = jax.tree.map(jnp.add, sums, metric_sums)
            return (grads, total + loss.total, weight + loss.weight, sums), None

        _, (_, shapes) = jax.eval_shape(
            micro_batch_loss, state.params, state.reference_params, jax.tree.map(lambda x: x[0], micros)
        )
        zero_sums = jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), shapes)
        start = (jax.tree.map(jnp.zeros_like, state.params), jnp.zeros(()), jnp.zeros(()), zero_sums)
        (grads, total, weight, sums), _ = jax.lax.scan(accumulate, start, micros)
        return grads, total, weight, sums

    def one_update(state: TrainState, mini):
        """Accumulate gradients over the mini-batch's micro-batches, then one optimiser update."""
        if settings.micro_batches == 1:
            # No accumulation: no zero-gradient buffer (a parameter-sized array) and no loop.
            grads, (loss, sums) = gradient_of(state.params, state.reference_params, mini)
            total, weight = loss.total, loss.weight
        else:
            grads, total, weight, sums = accumulate_gradients(state, mini)
        scale = 1.0 / jnp.maximum(weight, 1e-9)
        grads = jax.tree.map(lambda g: g * scale, grads)
        updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        new_state = state.replace(step=state.step + 1, params=params, opt_state=opt_state)
        metrics = dict(sums, loss=LossSum(total, weight).value(), grad_norm=optax.tree.norm(grads))
        return new_state, metrics

    def step(state: TrainState, rng: jax.Array, batch: Batch):
        del rng  # GRPO's loss draws no randomness; kept so every step has one signature
        settings.check_batch_size(batch["tokens"].shape[0])
        rewards = batch["rewards"].astype(jnp.float32)
        # [B] -> [B / G, G] -> advantages -> [B]: G is the step's static group size
        advantages = ADVANTAGE_ESTIMATORS.get(settings.advantage_estimator)(
            as_groups(rewards, settings.group_size)).reshape(-1)
        completion_mask = batch["completion_mask"].astype(jnp.float32)
        if settings.overlong_filtering:
            completion_mask = filter_overlong(completion_mask, batch["truncated"])
        behaviour = batch["behaviour_log_probs"].astype(jnp.float32)
        if settings.recompute_old_log_probs and settings.updates_per_batch == 1:
            old = None   # the current parameters' log-probs, taken inside the loss
        elif settings.recompute_old_log_probs:
            # In micro-batch-sized pieces, so this forward pass needs no more memory than an update.
            split = lambda x: _split_rows(x, pieces, row_sharding)  # noqa: E731
            # The parameters ride in the carry so the model is merged at the loop's trace level
            # (NNX refuses Variables from an outer trace inside rematerialised layers).
            _, old = jax.lax.scan(
                lambda params, piece: (params, log_probs_of(params, *piece)),
                state.params,
                (split(batch["tokens"]), split(batch["key_mask"])),
            )
            old = jax.lax.stop_gradient(_merge_rows(old))
        else:
            old = behaviour
        work = {
            "tokens": batch["tokens"],
            "key_mask": batch["key_mask"],
            "completion_mask": completion_mask,
            "behaviour_log_probs": behaviour,
            "advantages": advantages,
        }
        if old is not None:
            work["old_log_probs"] = old
        minis = jax.tree.map(lambda x: _split_rows(x, settings.updates_per_batch, row_sharding), work)
        start_step = state.step
        state, per_update = jax.lax.scan(one_update, state, minis)

        tokens = jnp.maximum(per_update["tokens"].sum(), 1.0)
        metrics = {
            "loss": per_update["loss"].mean(),
            "grad_norm": per_update["grad_norm"].mean(),
            "clip_fraction": per_update["clip_fraction"].sum() / tokens,
            "ratio_mean": per_update["ratio"].sum() / tokens,
            "importance_weight_mean": per_update["importance_weight"].sum() / tokens,
            "importance_weight_truncated_fraction": per_update["importance_weight_truncated"].sum() / tokens,
            "behaviour_log_prob_gap": per_update["behaviour_log_prob_gap"].sum() / tokens,
            "reward_mean": rewards.mean(),
            "advantage_mean": advantages.mean(),
            "advantage_abs_mean": jnp.abs(advantages).mean(),
            "advantage_std": advantages.std(),
            "response_length_mean": batch["completion_mask"].astype(jnp.float32).sum(axis=1).mean(),
            "loss_tokens": tokens,
            "truncated_fraction": batch["truncated"].astype(jnp.float32).mean(),
        }
        if "kl" in per_update:
            metrics["kl"] = per_update["kl"].sum() / tokens
        if schedule is not None:
            metrics["learning_rate"] = schedule(start_step)
        return state, metrics

    replicated = NamedSharding(mesh, PartitionSpec())
    return jax.jit(
        step,
        in_shardings=(shardings, replicated, {name: batch_sharding for name in BATCH_FIELDS}),
        out_shardings=(shardings, replicated),
        donate_argnums=(0,),
    )


def make_log_prob_fn(
    graphdef: nnx.GraphDef, params_shardings: nnx.State, batch_sharding: NamedSharding, temperature: float = 1.0
) -> Callable[[nnx.State, jax.Array, jax.Array], jax.Array]:
    """A jitted `(params, tokens, key_mask) -> [B, T-1]` log-probs, e.g. to check a sampler's
    behaviour log-probs against the trainer's or to precompute reference log-probs."""

    def log_probs(params, tokens, key_mask):
        return token_log_probs(graphdef, params, tokens, temperature, key_mask)

    return jax.jit(
        log_probs, in_shardings=(params_shardings, batch_sharding, batch_sharding), out_shardings=batch_sharding
    )
