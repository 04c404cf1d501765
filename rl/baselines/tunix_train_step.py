"""tunix's GRPO update on the work of `rl.train_step_bench`, timed the same way: the
baseline of issue 9. Run by the tunix venv's python from the repository root:

  .venv-tunix/bin/python -m rl.baselines.tunix_train_step --model HF_DIR --steps 3

(`python -m rl.train_step_bench --tunix-python .venv-tunix/bin/python` runs it for you on
the same weights). One update is, as in tunix's GRPO learner with one iteration per batch
(and ours with one update per batch), the loss's own log-probs standing for the old ones
(`--old-log-prob-pass` adds tunix's `common.compute_per_token_logps` pass and sampler
importance weights, the many-iterations case), tunix's GRPO loss (`algo_core.grpo_loss_fn`, configured
by its `DAPOConfig`: clip-higher epsilon 0.2/0.28, token-mean aggregation, no KL), Dr. GRPO
advantages (tunix's `drgrpo` estimator: no std division), truncated importance weights
min(pi_old / mu, 2) through tunix's `sampler_is_weights`, then `jax.value_and_grad` and an
optax AdamW update (lr 1e-6, weight decay 0.1 on matrices, global-norm clip 1.0), all in
one jitted function with the parameters and optimiser state donated. These are our
`grpo` section's settings. The batch is `rl.train_step_bench.synthetic_batch`'s recipe
(same seed, tokens, rewards and behaviour log-probs), rebuilt here from the flags.

Not tunix's `GRPOLearner` loop (rollouts, reward functions, checkpoints): only its model,
loss and advantage estimator, so that both sides time one update and nothing else.
Prints one JSON line with the per-step seconds and the peak RSS of this process.
"""
from __future__ import annotations

import argparse
import functools
import json
import resource
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from rl.baselines.tunix_qwen2 import load_tunix_qwen2, tunix_version

IMPORTANCE_WEIGHT_CAP = 2.0      # our grpo.importance_weight_cap
BEHAVIOUR_LOG_PROB = -2.0        # what the synthetic batch claims the sampler gave each token
NO_SUCH_TOKEN = -1               # pad/eos id no random token equals: every position is live


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20   # ru_maxrss is in KiB on Linux


def synthetic_grpo_batch(batch: int, prompt_tokens: int, completion_tokens: int, vocab_size: int,
                         seed: int = 0) -> dict[str, np.ndarray]:
    """The train-step benchmark's batch (same generator calls, so the same tokens), in tunix's
    prompt/completion layout: every token live, rewards 1 on every third sequence."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, vocab_size, (batch, prompt_tokens + completion_tokens)).astype(np.int32)
    return dict(prompt_ids=tokens[:, :prompt_tokens], completion_ids=tokens[:, prompt_tokens:],
                rewards=(np.arange(batch) % 3 == 0).astype(np.float32),
                behaviour_log_probs=np.full((batch, completion_tokens), BEHAVIOUR_LOG_PROB, np.float32))


def make_optimizer(learning_rate: float, weight_decay: float, max_grad_norm: float):
    return optax.chain(
        optax.clip_by_global_norm(max_grad_norm),
        optax.adamw(learning_rate, b1=0.9, b2=0.999, weight_decay=weight_decay,
                    mask=lambda params: jax.tree.map(lambda p: p.ndim >= 2, params)),
    )


def make_update(graphdef, algo_config, optimizer, group_size: int, old_log_prob_pass: bool = False):
    """The jitted `(params, rest, opt_state, batch) -> (params, opt_state, loss, grad_norm)`.
    Without `old_log_prob_pass` (tunix's GRPO learner with one iteration per batch) the old
    log-probs are the loss's own, without gradient, and no sampler importance weights apply."""
    from tunix.rl import algo_core, common, function_registry  # only in the tunix venv

    advantages_of = function_registry.get_advantage_estimator("drgrpo")

    def loss_of(params, rest, example):
        model = nnx.merge(graphdef, params, rest)
        return algo_core.grpo_loss_fn(model, example, algo_config, NO_SUCH_TOKEN, NO_SUCH_TOKEN)

    value_and_grad = jax.value_and_grad(loss_of, has_aux=True)

    @functools.partial(jax.jit, donate_argnums=(0, 2))
    def update(params, rest, opt_state, batch):
        old_log_probs = weights = None
        if old_log_prob_pass:
            old_log_probs = common.compute_per_token_logps(
                graphdef, nnx.merge_state(params, rest), batch["prompt_ids"], batch["completion_ids"],
                NO_SUCH_TOKEN, NO_SUCH_TOKEN, stop_gradient=True, temperature=1.0)
            weights = jax.lax.stop_gradient(
                jnp.minimum(jnp.exp(old_log_probs - batch["behaviour_log_probs"]), IMPORTANCE_WEIGHT_CAP))
        example = common.TrainExample(
            prompt_ids=batch["prompt_ids"],
            prompt_mask=jnp.ones(batch["prompt_ids"].shape, jnp.int32),
            completion_ids=batch["completion_ids"],
            completion_mask=jnp.ones(batch["completion_ids"].shape, jnp.float32),
            advantages=advantages_of(batch["rewards"], group_size),
            ref_per_token_logps=None,
            old_per_token_logps=old_log_probs,
            sampler_is_weights=weights,
        )
        (loss, _), grads = value_and_grad(params, rest, example)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss, optax.global_norm(grads)

    return update


def dapo_config(group_size: int, epsilon: float, epsilon_high: float):
    """tunix's config carrying clip-higher (its `GRPOConfig` has a single epsilon)."""
    from tunix.rl.grpo.dapo_learner import DAPOConfig  # only in the tunix venv

    config = DAPOConfig(num_generations=group_size, epsilon=epsilon, epsilon_high=epsilon_high,
                        loss_agg_mode="token-mean", overlong_buffer=None)
    config.temperature = 1.0   # tunix's learner sets this from its rollout config; the loss reads it
    return config


def run(args: argparse.Namespace) -> dict:
    model, hf = load_tunix_qwen2(args.model, args.dtype, args.remat)
    graphdef, params, rest = nnx.split(model, nnx.Param, ...)
    del model
    optimizer = make_optimizer(args.learning_rate, args.weight_decay, args.max_grad_norm)
    opt_state = optimizer.init(params)
    algo_config = dapo_config(args.group_size, args.epsilon, args.epsilon_high)
    update = make_update(graphdef, algo_config, optimizer, args.group_size, args.old_log_prob_pass)
    batch = synthetic_grpo_batch(args.batch, args.prompt_tokens, args.completion_tokens, int(hf["vocab_size"]),
                                 args.seed)
    # Every input committed to the one device, as the step's outputs are: otherwise the second
    # call sees other input shardings and compiles again.
    params, rest, opt_state, batch = jax.device_put((params, rest, opt_state, batch), jax.devices()[0])
    after_load = peak_rss_gib()
    times, losses = [], []
    for index in range(args.steps):
        start = time.perf_counter()
        params, opt_state, loss, grad_norm = update(params, rest, opt_state, batch)
        jax.block_until_ready((params, loss))
        times.append(time.perf_counter() - start)
        losses.append(float(loss))
        print(f"tunix step {index}: {times[-1]:.1f} s, loss {losses[-1]:.6f}, grad norm {float(grad_norm):.4f}",
              flush=True)
    steady = times[1:] or times
    return {"framework": "tunix", "tunix_version": tunix_version(), "jax_version": jax.__version__,
            "model": str(args.model), "dtype": args.dtype, "remat": args.remat, "batch": args.batch,
            "old_log_prob_pass": args.old_log_prob_pass,
            "prompt_tokens": args.prompt_tokens, "completion_tokens": args.completion_tokens,
            "group_size": args.group_size, "epsilon": args.epsilon, "epsilon_high": args.epsilon_high, "beta": 0.0,
            "loss_agg_mode": algo_config.loss_agg_mode, "advantage_estimator": "drgrpo",
            "learning_rate": args.learning_rate, "first_step_s_incl_compile": round(times[0], 2),
            "steady_step_s": [round(t, 2) for t in steady], "median_step_s": round(float(np.median(steady)), 2),
            "losses": losses, "peak_rss_gib": round(peak_rss_gib(), 2), "rss_after_load_gib": round(after_load, 2),
            "device": jax.devices()[0].device_kind}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="Hugging Face directory: config.json + model.safetensors")
    parser.add_argument("--dtype", default="bfloat16", choices=("bfloat16", "float32"), help="compute dtype")
    parser.add_argument("--no-remat", dest="remat", action="store_false")
    parser.add_argument("--old-log-prob-pass", action="store_true",
                        help="a separate old-log-prob forward pass (tunix's learner makes one only with "
                             "num_iterations > 1; ours likewise only with updates_per_batch > 1)")
    parser.add_argument("--steps", type=int, default=3, help="the first includes compilation")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--group-size", type=int, default=8, help="G")
    parser.add_argument("--prompt-tokens", type=int, default=64)
    parser.add_argument("--completion-tokens", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0, help="the synthetic batch's seed")
    parser.add_argument("--epsilon", type=float, default=0.2)
    parser.add_argument("--epsilon-high", type=float, default=0.28)
    parser.add_argument("--learning-rate", type=float, default=1e-6)
    parser.add_argument("--weight-decay", type=float, default=0.1)
    parser.add_argument("--max-grad-norm", type=float, default=1.0)
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error("--steps must be >= 1")
    if args.batch % args.group_size:
        parser.error(f"--batch {args.batch} must be a multiple of --group-size {args.group_size}")
    return args


def main(argv=None) -> None:
    print(json.dumps(run(parse_args(argv))), flush=True)


if __name__ == "__main__":
    main()
