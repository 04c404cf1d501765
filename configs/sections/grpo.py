"""The `grpo` config section: GRPO's hyper-parameters, tied to the paper's symbols.

Paper (asynchronous GRPO, binary rewards): advantages not divided by the group standard
deviation (`advantage_estimator="group_mean"`), no KL term (`kl_beta=0`). Where the paper
gives no value the default follows DAPO (Yu et al. 2025) or Dr. GRPO (Liu et al. 2025),
with the source beside each field. `dynamic_sampling`, `format_penalty` and
`max_staleness` are read by the rollout loop (helpers in `rl.grpo`); the rest by the
train step (`rl.train_step.TrainStepSettings.from_config`). The temperature the objective's
log-probs use is the rollouts' own, `train.temperature`.

- G = `group_size`: samples per prompt (8; Dr. GRPO's setting).
- epsilon_low / epsilon_high = `epsilon_low` / `epsilon_high`: PPO clip range
  [1 - eps_low, 1 + eps_high] (0.2 / 0.28; DAPO's clip-higher).
- beta = `kl_beta`: weight of KL(pi_theta || pi_ref) (0; the paper and DAPO use none).
- k = `max_staleness`: rollouts may come from a policy up to k updates old (1; an
  asynchronous one-step-off policy; 0 is synchronous). The rollout loop enforces it; the
  train step corrects for it with the behaviour log-probs.
- C = `importance_weight_cap`: truncation of the importance weight pi_old / mu for stale
  rollouts (2; Yao et al. 2025, truncated importance sampling).
"""
from __future__ import annotations

import ml_collections

from configs.validation import at_least, require


def get_grpo_config() -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.group_size = 8                          # G (Dr. GRPO)
    config.prompts_per_batch = 4                   # groups per rollout batch (B = G * this)
    config.advantage_estimator = "group_mean"      # paper / Dr. GRPO: no std normalisation
    config.policy_loss = "clipped_surrogate"
    config.epsilon_low = 0.2                       # DAPO
    config.epsilon_high = 0.28                     # DAPO clip-higher
    config.loss_aggregation = "token_mean"         # DAPO token-level mean
    config.kl_beta = 0.0                           # beta: paper, DAPO
    config.kl_estimator = "k3"                     # GRPO's estimator, if beta > 0
    config.dynamic_sampling = True                 # DAPO: drop groups with equal rewards, refill
    config.overlong_filtering = True               # DAPO: mask truncated completions out of the loss
    config.format_penalty = 0.0                    # paper: plain binary rewards
    config.max_staleness = 1                       # k (asynchronous, one step off)
    config.importance_weight_cap = 2.0             # C (Yao et al. 2025)
    config.recompute_old_log_probs = True          # pi_old from the trainer, not the sampler
    config.updates_per_batch = 1                   # optimiser updates (mini-batches) per rollout batch
    config.micro_batches = 1                       # gradient accumulation within one update

    config.optimizer = ml_collections.ConfigDict()
    config.optimizer.learning_rate = 1e-6          # DAPO
    config.optimizer.warmup_steps = 20             # DAPO: linear warm-up over 20 rollout steps
    config.optimizer.total_steps = 1000            # cosine decay horizon (optimiser updates)
    config.optimizer.final_learning_rate_fraction = 0.1
    config.optimizer.weight_decay = 0.1            # DAPO
    config.optimizer.b1 = 0.9
    config.optimizer.b2 = 0.999
    config.optimizer.max_grad_norm = 1.0           # global-norm clipping (verl / DAPO default)
    return config


def validate(section: ml_collections.ConfigDict, name: str = "grpo") -> None:
    at_least(f"{name}.group_size", section.group_size, 2)
    at_least(f"{name}.prompts_per_batch", section.prompts_per_batch, 1)
    at_least(f"{name}.epsilon_low", section.epsilon_low, 0.0)
    at_least(f"{name}.epsilon_high", section.epsilon_high, 0.0)
    at_least(f"{name}.kl_beta", section.kl_beta, 0.0)
    at_least(f"{name}.max_staleness", section.max_staleness, 0)
    require(section.importance_weight_cap > 0, f"{name}.importance_weight_cap", section.importance_weight_cap,
            "out of range, it must be > 0")
    at_least(f"{name}.updates_per_batch", section.updates_per_batch, 1)
    at_least(f"{name}.micro_batches", section.micro_batches, 1)
    optimizer = section.optimizer
    require(optimizer.learning_rate > 0, f"{name}.optimizer.learning_rate", optimizer.learning_rate, "out of range, it must be > 0")
    at_least(f"{name}.optimizer.warmup_steps", optimizer.warmup_steps, 0)
    at_least(f"{name}.optimizer.total_steps", optimizer.total_steps, 1)
    unit_fraction = optimizer.final_learning_rate_fraction
    require(0.0 <= unit_fraction <= 1.0, f"{name}.optimizer.final_learning_rate_fraction", unit_fraction,
            "out of range, it must be between 0 and 1")
    at_least(f"{name}.optimizer.weight_decay", optimizer.weight_decay, 0.0)
    require(section.optimizer.max_grad_norm > 0, f"{name}.optimizer.max_grad_norm", optimizer.max_grad_norm,
            "out of range, it must be > 0")
