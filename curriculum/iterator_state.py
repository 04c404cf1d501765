"""What both input paths share: host sharding, feedback, refills and saved iterator state.

The state saved with a checkpoint is the sampler's state just before the next step the
trainer has not yet received, plus every observation that arrived after that snapshot:
restoring it in a fresh process continues with exactly the next batch, whatever the
pipeline had prefetched.
"""
from __future__ import annotations

from typing import Optional, Sequence

from curriculum.batch import PromptBatch
from curriculum.prompts import PromptEncoder
from curriculum.sampler import SamplerState, ScheduleSampler, StepDraw

STATE_VERSION = 1


class CurriculumIteratorBase:
    """Yields this host's PromptBatch per step; subclasses say how batches are produced."""

    def __init__(self, sampler: ScheduleSampler, encoder: PromptEncoder, host_index: int = 0,
                 host_count: int = 1, state: Optional[dict] = None):
        per_step = sampler.settings.prompts_per_step
        if host_count < 1 or not 0 <= host_index < host_count:
            raise ValueError(f"host_index must be in [0, host_count); got {host_index} of {host_count}")
        if per_step % host_count:
            raise ValueError(f"curriculum.prompts_per_step ({per_step}) must divide evenly over {host_count} hosts")
        self.sampler, self.encoder = sampler, encoder
        self.host_index, self.host_count = host_index, host_count
        self.per_host = per_step // host_count
        self._snapshots: dict[int, tuple[SamplerState, int]] = {}
        self._observations: list[tuple[int, list]] = []   # (arrival number, feedback)
        self._arrivals = 0
        if state is not None:
            self._restore(state)
        self.next_step = sampler.state.next_step

    # ----- host sharding -----
    def host_rows(self, draw: StepDraw) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """This host's contiguous slice of the step's global draw: (pools, rows)."""
        start = self.host_index * self.per_host
        stop = start + self.per_host
        return draw.pools[start:stop], draw.rows[start:stop]

    def _draw(self, step: int) -> StepDraw:
        self._snapshots[step] = (self.sampler.state.copy(), self._arrivals)
        return self.sampler.draw_step(step)

    def _delivered(self, step: int) -> None:
        """The trainer got step `step`; keep the snapshots an asynchronous trainer may still refill from."""
        self.next_step = step + 1
        oldest_refillable = step - self.sampler.settings.trainer_asynchrony - 1
        for old in [s for s in self._snapshots if s < oldest_refillable]:
            del self._snapshots[old]
        if self._snapshots:
            oldest_arrival = min(arrival for _, arrival in self._snapshots.values())
            self._observations = [o for o in self._observations if o[0] >= oldest_arrival]

    def _batch(self, step: int, rows: Sequence[int], token_ids, attention_mask, refill_index: int = 0) -> PromptBatch:
        problems = tuple(self.sampler.catalog.problems[r] for r in rows)
        return PromptBatch(step, tuple(p.id for p in problems), token_ids, attention_mask, problems, refill_index)

    # ----- feedback -----
    def observe(self, problem_ids: Sequence[str], rewards, step: int) -> None:
        """Graded rewards [problems, G] for `step`; they take effect from step + feedback_lag on.

        On several hosts, give every host the rewards of all hosts' problems (all-gathered):
        each host runs the same sampler and must keep the same state to stay disjoint.
        """
        feedback = self.sampler.feedback_from_rewards(problem_ids, rewards, step)
        self.sampler.add_feedback(feedback)
        self._observations.append((self._arrivals, feedback))
        self._arrivals += 1

    def refill(self, step: int, refill_index: int, count: int) -> PromptBatch:
        """`count` extra prompts for this host at an already delivered `step` (refill_index >= 1)."""
        if refill_index < 1:
            raise ValueError("refill_index starts at 1 (index 0 is the step's own batch)")
        if step not in self._snapshots:
            raise ValueError(f"step {step} is not the step being trained (next step is {self.next_step})")
        snapshot, _ = self._snapshots[step]
        live = self.sampler.state
        self.sampler.state = snapshot.copy()
        try:
            draw = self.sampler.draw_refill(step, refill_index, count * self.host_count)
        finally:
            self.sampler.state = live
        rows = draw.rows[self.host_index * count:(self.host_index + 1) * count]
        token_ids, mask = self.encoder.pad([self.encoder.encode(self.sampler.catalog.problems[r]) for r in rows])
        return self._batch(step, rows, token_ids, mask, refill_index)

    # ----- state -----
    def state_dict(self) -> dict:
        """A JSON-able state that resumes at `self.next_step` exactly."""
        if self.next_step in self._snapshots:
            snapshot, arrival = self._snapshots[self.next_step]
            sampler_state = snapshot.to_json_dict()
            later = [f for seq, feedback in self._observations if seq >= arrival for f in feedback]
            sampler_state["pending"] += [[f.step, f.row, f.passes, f.trials] for f in later]
        else:
            sampler_state = self.sampler.state.to_json_dict()
        return {"version": STATE_VERSION, "fingerprint": self.sampler.fingerprint(),
                "host_count": self.host_count, "sampler": sampler_state}

    def _restore(self, state: dict) -> None:
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"curriculum iterator state has version {state.get('version')!r}; "
                             f"this code reads {STATE_VERSION}")
        expected = self.sampler.fingerprint()
        if state["fingerprint"] != expected or state["host_count"] != self.host_count:
            raise ValueError(f"curriculum iterator state was saved for {state['fingerprint']} on "
                             f"{state['host_count']} hosts; this run has {expected} on {self.host_count} hosts "
                             "(same data, schedule, seed and host count are needed to resume)")
        self.sampler.load_json_dict(state["sampler"])

    def __iter__(self):
        return self
