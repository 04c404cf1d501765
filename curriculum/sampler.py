"""The schedule sampler: the one implementation of "which problems does step t train on".

Both input paths (tf.data and the TensorFlow-free twin) ask this object for each step's
problems, so they yield the same ids for the same seed and feedback. Randomness is a pure
function of (seed, step), pools are walked through seeded per-epoch permutations, and
feedback from `observe(..., step=k)` is applied, in a fixed order, just before drawing
step k + feedback_lag: a run is reproducible however grading and prefetching interleave.
"""
from __future__ import annotations

import dataclasses
import hashlib
from typing import Sequence

import numpy as np

from curriculum.catalog import Catalog
from curriculum.online_estimate import OnlinePassRate, learnability
from curriculum.pools import apply_budget, pool_members
from curriculum.schedules import Schedule, ScheduleStatistics, check_schedule
from curriculum.settings import CurriculumSettings

_PERMUTATION_STREAM = 104_729


@dataclasses.dataclass(frozen=True)
class Feedback:
    """One problem's graded rollouts at one step: `passes` of `trials` samples got reward 1."""

    step: int
    row: int
    passes: float
    trials: int


@dataclasses.dataclass(frozen=True)
class StepDraw:
    """The problems drawn for one step (global, before host sharding), with their pools."""

    step: int
    pools: tuple[int, ...]
    rows: tuple[int, ...]


@dataclasses.dataclass
class SamplerState:
    """Everything that decides future draws; saved with the training checkpoint."""

    next_step: int
    cursors: np.ndarray
    walk_levels: np.ndarray
    estimate: OnlinePassRate
    pending: list

    def copy(self) -> "SamplerState":
        return SamplerState(self.next_step, self.cursors.copy(), self.walk_levels.copy(),
                            self.estimate.copy(), list(self.pending))

    def to_json_dict(self) -> dict:
        return {"next_step": self.next_step, "cursors": self.cursors.tolist(),
                "walk_levels": self.walk_levels.tolist(), "estimate": self.estimate.state_dict(),
                "pending": [dataclasses.astuple(f) for f in self.pending]}


class ScheduleSampler:
    """Draws each step's problem rows from a schedule over pools of a catalog."""

    def __init__(self, catalog: Catalog, schedule: Schedule, settings: CurriculumSettings):
        self.catalog, self.schedule, self.settings = catalog, schedule, settings
        members = pool_members(schedule.pools, catalog)
        if settings.budget:
            members = apply_budget(schedule.pools, members, settings.budget, settings.shares, settings.seed)
        self.members = members
        self.pool_sizes = tuple(len(m) for m in members)
        check_schedule(schedule, self.pool_sizes, settings.total_steps)
        self.chain_rows = np.array([[catalog.row_of[c.easy_id], catalog.row_of[c.medium_id],
                                     catalog.row_of[c.hard_id]] for c in catalog.chains],
                                   dtype=np.int64).reshape(-1, 3)
        self._chains_at_row: dict[int, list[int]] = {}
        for chain, rows in enumerate(self.chain_rows):
            for row in set(rows.tolist()):
                self._chains_at_row.setdefault(row, []).append(chain)
        self._permutations: dict[tuple[int, int], np.ndarray] = {}
        self._learnability_cdfs: dict[int, np.ndarray] = {}
        self.state = SamplerState(
            next_step=0, cursors=np.zeros(len(members), dtype=np.int64),
            walk_levels=np.zeros(len(self.chain_rows), dtype=np.int64),
            estimate=OnlinePassRate(catalog.pass_rates(), settings.estimator, settings.prior_strength,
                                    settings.ema_rate),
            pending=[])

    # ----- state -----
    def fingerprint(self) -> dict:
        """What must match for a saved state to resume here: data, schedule, seed, batch size."""
        ids = hashlib.sha256("\n".join(p.id for p in self.catalog.problems).encode()).hexdigest()[:16]
        return {"schedule": self.schedule.name, "seed": self.settings.seed, "problems": len(self.catalog),
                "catalog_digest": ids,
                "pool_sizes": list(self.pool_sizes), "prompts_per_step": self.settings.prompts_per_step}

    def load_json_dict(self, saved: dict) -> None:
        state = self.state.copy()
        state.next_step = int(saved["next_step"])
        state.cursors = np.array(saved["cursors"], dtype=np.int64)
        state.walk_levels = np.array(saved["walk_levels"], dtype=np.int64)
        state.estimate.load_state_dict(saved["estimate"])
        state.pending = [Feedback(int(s), int(r), float(p), int(t)) for s, r, p, t in saved["pending"]]
        self.state = state

    # ----- feedback -----
    def feedback_from_rewards(self, problem_ids: Sequence[str], rewards, step: int) -> list[Feedback]:
        """Validate observe() arguments: rewards is [problems, G] with values in [0, 1]."""
        rewards = np.asarray(rewards, dtype=np.float64)
        if rewards.ndim != 2 or rewards.shape[0] != len(problem_ids):
            raise ValueError(f"observe() needs rewards shaped [problems, G] = [{len(problem_ids)}, G]; "
                             f"got shape {rewards.shape}")
        if rewards.size and (rewards.min() < 0 or rewards.max() > 1):
            raise ValueError("observe() rewards must lie in [0, 1] (binary rewards in the paper)")
        feedback = []
        for problem_id, row_rewards in zip(problem_ids, rewards):
            row = self.catalog.row_of.get(problem_id)
            if row is None:
                raise ValueError(f"observe() got problem id {problem_id!r}, which is not in this curriculum's catalog")
            feedback.append(Feedback(int(step), row, float(row_rewards.sum()), int(row_rewards.size)))
        return feedback

    def add_feedback(self, feedback: Sequence[Feedback]) -> None:
        lag = self.settings.feedback_lag
        for item in feedback:
            if self.schedule.uses_feedback and item.step + lag < self.state.next_step:
                raise ValueError(
                    f"observe(step={item.step}) arrived after step {item.step + lag} was already drawn, so "
                    f"the run would not be reproducible; raise curriculum.trainer_asynchrony (lag is "
                    f"prefetch_batches + trainer_asynchrony + 1 = {lag})")
        self.state.pending.extend(feedback)

    def _apply_due_feedback(self, step: int) -> None:
        due_until = step - self.settings.feedback_lag
        due = sorted((f for f in self.state.pending if f.step <= due_until), key=dataclasses.astuple)
        if not due:
            return
        self.state.pending = [f for f in self.state.pending if f.step > due_until]
        for item in due:
            self.state.estimate.update(item.row, item.passes, item.trials)
            self._maybe_advance_walk(item.row)

    def _maybe_advance_walk(self, row: int) -> None:
        """Advance chains whose current level is `row` by one level (never more) once it is learned."""
        estimate = self.state.estimate
        learned = (estimate.trials[row] >= self.settings.walk_min_trials
                   and estimate.mean()[row] >= self.settings.walk_threshold)
        for chain in self._chains_at_row.get(row, ()) if learned else ():
            level = self.state.walk_levels[chain]
            if level < 2 and self.chain_rows[chain, level] == row:
                self.state.walk_levels[chain] = level + 1

    # ----- drawing -----
    def statistics(self) -> ScheduleStatistics:
        if self.schedule.item_picker == "learnability":
            weights = learnability(self.state.estimate.mean(), self.settings.learnability_floor)
            pool_learnability = tuple(float(weights[m].sum()) for m in self.members)
        else:
            pool_learnability = tuple(0.0 for _ in self.members)
        return ScheduleStatistics(self.settings.total_steps, self.pool_sizes, pool_learnability)

    def pool_probabilities(self, step: int) -> np.ndarray:
        weights = np.asarray(self.schedule.weights(step, self.statistics()), dtype=np.float64)
        weights = np.where(np.asarray(self.pool_sizes) > 0, weights, 0.0)
        if weights.sum() <= 0:
            raise ValueError(f"schedule {self.schedule.name!r} gives no weight to any non-empty pool at step {step}")
        return weights / weights.sum()

    def draw_step(self, step: int) -> StepDraw:
        """The global list of problems for `step` (must be the next undrawn step)."""
        if step != self.state.next_step:
            raise ValueError(f"the sampler draws steps in order: expected step {self.state.next_step}, got {step}")
        self._apply_due_feedback(step)
        self._learnability_cdfs = {}
        rng = np.random.default_rng([self.settings.seed, step])
        pools = _inverse_cdf(self.pool_probabilities(step), rng.random(self.settings.prompts_per_step))
        rows = tuple(self._pick(int(pool), rng) for pool in pools)
        self.state.next_step += 1
        return StepDraw(step, tuple(int(p) for p in pools), rows)

    def draw_refill(self, step: int, refill_index: int, count: int) -> StepDraw:
        """Extra problems for an already drawn `step` (dynamic-sampling refills), from the current state.

        Refills pick with replacement from their own random stream and move no cursor, so
        they never change what later steps draw.
        """
        self._learnability_cdfs = {}
        rng = np.random.default_rng([self.settings.seed, step, 1 + refill_index])
        pools = _inverse_cdf(self.pool_probabilities(step), rng.random(count))
        rows = []
        for pool in pools:
            members = self.members[pool]
            if self.schedule.item_picker == "learnability":
                rows.append(self._pick(int(pool), rng))
                continue
            pick = int(members[rng.integers(len(members))])
            rows.append(int(self.chain_rows[pick, self.state.walk_levels[pick]])
                        if self.schedule.item_picker == "chain_walk" else pick)
        return StepDraw(step, tuple(int(p) for p in pools), tuple(rows))

    def _pick(self, pool: int, rng: np.random.Generator) -> int:
        members = self.members[pool]
        if self.schedule.item_picker == "learnability":
            if pool not in self._learnability_cdfs:   # the estimate is fixed within a step
                weights = learnability(self.state.estimate.mean()[members], self.settings.learnability_floor)
                self._learnability_cdfs[pool] = weights / weights.sum()
            return int(members[_inverse_cdf(self._learnability_cdfs[pool], rng.random(1))[0]])
        cursor = int(self.state.cursors[pool])
        self.state.cursors[pool] += 1
        epoch, position = divmod(cursor, len(members))
        member = int(members[self._permutation(pool, epoch)[position]])
        if self.schedule.item_picker == "chain_walk":
            return int(self.chain_rows[member, self.state.walk_levels[member]])
        return member

    def _permutation(self, pool: int, epoch: int) -> np.ndarray:
        key = (pool, epoch)
        if key not in self._permutations:
            self._permutations = {k: v for k, v in self._permutations.items() if k[0] != pool}
            self._permutations[key] = np.random.default_rng(
                [self.settings.seed, _PERMUTATION_STREAM, pool, epoch]).permutation(len(self.members[pool]))
        return self._permutations[key]


def _inverse_cdf(probabilities: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Categorical draws by inverse CDF; a zero-probability pool is never returned."""
    cdf = np.cumsum(probabilities)
    cdf /= cdf[-1]
    return np.minimum(np.searchsorted(cdf, uniforms, side="right"), len(cdf) - 1)

