"""Rollouts: G samples per prompt from the current policy parameters, their grades, and
the fixed-shape arrays the train step consumes.

A `Rollout` carries its group size G (set once, by `sample_rollout`, from the G it was
asked for) and always holds whole groups: its per-row lists and arrays keep each prompt's
G rows contiguous, and the group views (`grouped_rewards`, `group_problems`, `take_groups`,
`concatenate`) read G from the rollout, not from the config.

Generation uses the KV-cache sampler directly on the trainer's parameter pytree (no host
round trip of the weights). Grading goes through the environments' batched grader in the
sandbox and may run in a worker thread while the device generates or trains.

Array layout (see rl/train_step.py): tokens [N, T] = prompt + completion, right-padded
to T = prompt_width + max_new_tokens; per-token arrays are aligned with the predicted
tokens tokens[:, 1:], so the completion token at position j is predicted at column j - 1.
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Optional, Sequence

import jax
import numpy as np

from data_gen.environments import GradingItem, grade
from data_gen.records import Problem
from rl.generation.sampling import Sampling
from rl.grpo.groups import as_groups, group_rows
from rl.sampling.sampler import FINISH_LENGTH, Sampler


@dataclasses.dataclass
class Rollout:
    """One step's sampled completions (N = prompts x G rows, groups contiguous)."""

    step: int
    policy_version: int                 # optimiser updates taken by the policy that sampled
    group_size: int                     # G: rows per prompt
    problems: tuple[Problem, ...]       # per row
    prompt_tokens: list[list[int]]
    completion_tokens: list[list[int]]
    behaviour_log_probs: list[list[float]]
    finish_reasons: list[str]
    texts: list[str]
    rewards: Optional[np.ndarray] = None
    reward_reasons: Optional[list[str]] = None
    well_formed: Optional[np.ndarray] = None   # per row: False for an answer in FORMAT_ERRORS (format penalty)

    def __post_init__(self):
        if self.group_size < 1 or self.size % self.group_size:
            raise ValueError(f"a rollout of {self.size} rows does not hold whole groups of G={self.group_size}")

    @property
    def size(self) -> int:
        return len(self.texts)

    @property
    def groups(self) -> int:
        """The number of prompts (groups of G rows)."""
        return self.size // self.group_size

    def grouped_rewards(self) -> np.ndarray:
        """The graded rewards as `[groups, G]`."""
        if self.rewards is None:
            raise ValueError("the rollout is not graded yet: it has no rewards")
        return as_groups(self.rewards, self.group_size)

    def group_problems(self) -> tuple[Problem, ...]:
        """One problem per group, in group order."""
        return self.problems[::self.group_size]

    def take_groups(self, group_indices: Sequence[int]) -> "Rollout":
        """The rows of the given whole groups, group by group in the given order."""
        return _take_rows(self, group_rows(group_indices, self.group_size))


def rollout_sampling(config) -> Sampling:
    """The rollouts' token limit and sampling settings, all from the `train` section
    (temperature, top_p, top_k, max_new_tokens): the one definition of the student's attempt
    (`data_gen.attempt`) that the main job also measures difficulty and evaluates with, and
    whose temperature the train step's log-probs use."""
    return Sampling.from_config(config.train)


def sample_rollout(sampler: Sampler, prompts: Sequence[Sequence[int]], problems: Sequence[Problem], *,
                   group_size: int, sampling: Sampling, stop_token_ids: Sequence[int],
                   decode: Callable[[Sequence[int]], str], rng: jax.Array, step: int,
                   policy_version: int) -> Rollout:
    """G completions for each prompt under `sampling` (`rollout_sampling`; each row its own
    PRNG stream, folded from `rng`)."""
    repeated = [list(p) for p in prompts for _ in range(group_size)]
    row_problems = tuple(problem for problem in problems for _ in range(group_size))
    output = sampler.sample(repeated, max_new_tokens=sampling.max_new_tokens, temperature=sampling.temperature,
                            top_p=sampling.top_p, top_k=sampling.top_k, stop_token_ids=tuple(stop_token_ids),
                            rng=rng)
    stops = set(stop_token_ids)
    texts = [decode([t for t in tokens if t not in stops]) for tokens in output.tokens]
    return Rollout(step=step, policy_version=policy_version, group_size=group_size, problems=row_problems,
                   prompt_tokens=repeated,
                   completion_tokens=output.tokens, behaviour_log_probs=output.log_probs,
                   finish_reasons=output.finish_reasons, texts=texts)


def grade_rollout(rollout: Rollout, environments, executor) -> Rollout:
    """Binary rewards from each row's environment, graded in one batched sandbox call."""
    items = [GradingItem(environments[p.environment], p, text) for p, text in zip(rollout.problems, rollout.texts)]
    results = grade(items, executor)
    rollout.rewards = np.array([r.reward for r in results], np.float32)
    rollout.reward_reasons = [r.reason for r in results]
    rollout.well_formed = np.array([r.well_formed for r in results])  # the parse outcome, not the message text
    return rollout


def concatenate(rollouts: Sequence[Rollout]) -> Rollout:
    """Several graded rollouts of one step (dynamic-sampling refills) as one: their groups
    one after another. They must share one group size."""
    first = rollouts[0]
    sizes = sorted({r.group_size for r in rollouts})
    if len(sizes) > 1:
        raise ValueError(f"cannot concatenate rollouts of different group sizes: G={', G='.join(map(str, sizes))}")
    return Rollout(
        step=first.step, policy_version=first.policy_version, group_size=first.group_size,
        problems=tuple(p for r in rollouts for p in r.problems),
        prompt_tokens=[t for r in rollouts for t in r.prompt_tokens],
        completion_tokens=[t for r in rollouts for t in r.completion_tokens],
        behaviour_log_probs=[t for r in rollouts for t in r.behaviour_log_probs],
        finish_reasons=[t for r in rollouts for t in r.finish_reasons],
        texts=[t for r in rollouts for t in r.texts],
        rewards=np.concatenate([r.rewards for r in rollouts]),
        reward_reasons=[t for r in rollouts for t in r.reward_reasons],
        well_formed=np.concatenate([r.well_formed for r in rollouts]))


def _take_rows(rollout: Rollout, rows: Sequence[int]) -> Rollout:
    """The given rows (whole groups: `Rollout.take_groups` chooses them)."""
    return Rollout(
        step=rollout.step, policy_version=rollout.policy_version, group_size=rollout.group_size,
        problems=tuple(rollout.problems[i] for i in rows),
        prompt_tokens=[rollout.prompt_tokens[i] for i in rows],
        completion_tokens=[rollout.completion_tokens[i] for i in rows],
        behaviour_log_probs=[rollout.behaviour_log_probs[i] for i in rows],
        finish_reasons=[rollout.finish_reasons[i] for i in rows], texts=[rollout.texts[i] for i in rows],
        rewards=rollout.rewards[rows], reward_reasons=[rollout.reward_reasons[i] for i in rows],
        well_formed=rollout.well_formed[rows])


def bucketed_length(rollout: Rollout, maximum: int, bucket: int) -> int:
    """The train batch's length: the longest row (prompt + completion) rounded up to a
    multiple of `bucket`, at most `maximum` (bucket 0: always `maximum`)."""
    if bucket <= 0:
        return maximum
    longest = max(len(p) + len(c) for p, c in zip(rollout.prompt_tokens, rollout.completion_tokens))
    return min(maximum, -(-longest // bucket) * bucket)


def train_arrays(rollout: Rollout, sequence_length: int, pad_id: int,
                 rows: Optional[Sequence[int]] = None) -> dict[str, np.ndarray]:
    """The train step's batch: fixed [N, T] shapes whatever the sampled lengths. `rows`:
    only these rows, in order (one host's share of the global batch, which need not hold
    whole groups); all rows when None."""
    rows = list(range(rollout.size) if rows is None else rows)
    tokens = np.full((len(rows), sequence_length), pad_id, np.int32)
    key_mask = np.zeros((len(rows), sequence_length), bool)
    completion_mask = np.zeros((len(rows), sequence_length - 1), np.float32)
    behaviour = np.zeros((len(rows), sequence_length - 1), np.float32)
    for out, row in enumerate(rows):
        prompt, completion = rollout.prompt_tokens[row], rollout.completion_tokens[row]
        total = len(prompt) + len(completion)
        if total > sequence_length:
            raise ValueError(f"row {row} has {total} tokens, more than the sequence length {sequence_length}")
        tokens[out, :total] = prompt + completion
        key_mask[out, :total] = True
        start = len(prompt) - 1
        completion_mask[out, start:start + len(completion)] = 1.0
        behaviour[out, start:start + len(completion)] = rollout.behaviour_log_probs[row]
    return {
        "tokens": tokens,
        "key_mask": key_mask,
        "completion_mask": completion_mask,
        "behaviour_log_probs": behaviour,
        "rewards": np.asarray(rollout.rewards, np.float32)[rows],
        "truncated": np.array([rollout.finish_reasons[row] == FINISH_LENGTH for row in rows], bool),
    }
