"""Structured decoding on the device: logits masked by each slot's token-automaton state, and
the state moved by the chosen token, inside the jitted steps (no host round trip per token).

A batch's constraints travel as one `ConstraintTable` (the automata of its rows stacked, each
row's states offset into it) and a per-slot state vector in the `DecodeState`; a slot in
state -1 is unconstrained and decodes exactly as without this module. Tables are padded to
a power-of-two number of states so a few compiled shapes serve every batch.
"""
from __future__ import annotations

from typing import Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from rl.sampling.token_automaton import FORBIDDEN, TokenAutomaton

UNCONSTRAINED = -1
_NEG_INF = -1e30


@struct.dataclass
class ConstraintTable:
    """next_state [states, vocab] (int16/int32): the state after each token, -1 if forbidden."""

    next_state: jax.Array


def mask_logits(logits: jax.Array, constraint_state: Optional[jax.Array],
                table: Optional[ConstraintTable]) -> jax.Array:
    """Forbidden tokens of constrained slots to -inf; unconstrained slots untouched."""
    if constraint_state is None or table is None:
        return logits
    rows = jnp.take(table.next_state, jnp.maximum(constraint_state, 0), axis=0, mode="clip")  # a plain row copy
    allowed = (rows != FORBIDDEN) | (constraint_state == UNCONSTRAINED)[:, None]
    return jnp.where(allowed, logits, _NEG_INF)


def advance(constraint_state: Optional[jax.Array], table: Optional[ConstraintTable],
            tokens: jax.Array, moved: jax.Array) -> Optional[jax.Array]:
    """Each constrained slot's state after `tokens` (only where `moved`)."""
    if constraint_state is None or table is None:
        return constraint_state
    following = table.next_state[jnp.maximum(constraint_state, 0), tokens].astype(jnp.int32)
    keep = (constraint_state == UNCONSTRAINED) | ~moved
    return jnp.where(keep, constraint_state, following)


def _padded_states(count: int) -> int:
    return max(8, 1 << (count - 1).bit_length())


class TableStack:
    """Stacks the automata of a batch into one host table (cached by the automata's keys)."""

    def __init__(self, max_cached: int = 4):
        self.max_cached = max_cached
        self._cache: dict[tuple[str, ...], tuple[ConstraintTable, dict[str, int]]] = {}

    def build(self, automata: Sequence[Optional[TokenAutomaton]]
              ) -> tuple[Optional[ConstraintTable], np.ndarray]:
        """(table or None, initial state per row: -1 for rows without a constraint)."""
        unique: dict[str, TokenAutomaton] = {}
        for automaton in automata:
            if automaton is not None:
                unique.setdefault(automaton.key, automaton)
        if not unique:
            return None, np.full((len(automata),), UNCONSTRAINED, np.int32)
        keys = tuple(sorted(unique))
        if keys not in self._cache:
            if len(self._cache) >= self.max_cached:
                self._cache.pop(next(iter(self._cache)))
            self._cache[keys] = self._stack([unique[key] for key in keys])
        table, offsets = self._cache[keys]
        initial = np.asarray([UNCONSTRAINED if a is None else offsets[a.key] + a.initial_state for a in automata],
                             np.int32)
        return table, initial

    @staticmethod
    def _stack(automata: Sequence[TokenAutomaton]) -> tuple[ConstraintTable, dict[str, int]]:
        widths = {a.next_state.shape[1] for a in automata}
        if len(widths) != 1:
            raise ValueError(f"constraints of one batch were compiled for different vocabularies: widths {widths}")
        total = sum(a.num_states for a in automata)
        rows = _padded_states(total)
        dtype = np.int16 if rows < np.iinfo(np.int16).max else np.int32
        stacked = np.full((rows, widths.pop()), FORBIDDEN, dtype)
        offsets, start = {}, 0
        for automaton in automata:
            block = automaton.next_state
            stacked[start:start + automaton.num_states] = np.where(block == FORBIDDEN, FORBIDDEN,
                                                                   block.astype(np.int64) + start)
            offsets[automaton.key] = start
            start += automaton.num_states
        return ConstraintTable(next_state=jnp.asarray(stacked)), offsets
