"""The two jittable decoding steps over a batch of slots, shared by the `Sampler` and the
JetStream engine:

  prefill_step(graphdef, state, tokens, lengths, settings, rng_keys, max_new_tokens,
               stop_token_ids, capacity[, constraint_state, constraint_table])
      -> (DecodeState, first_tokens [b], first_log_probs [b])
  decode_step(graphdef, state, decode_state[, constraint_table])
      -> (DecodeState, tokens [b], log_probs [b], emitted [b])

Prompts are right-padded; each slot has its own position. `emitted` marks slots that were
still running and produced a real token this step; finished slots are frozen (their cache
slot is rewritten in place, their counters do not move). Under a constraint
(`rl.sampling.constraints`) a slot's logits are masked by its automaton state before the
token is chosen, so its log-prob is under the masked distribution it was drawn from.
"""
from __future__ import annotations

from typing import Optional

import jax
import jax.numpy as jnp
from flax import nnx

from rl.models import forward
from rl.sampling.constraints import ConstraintTable, advance, mask_logits
from rl.sampling.decode_state import DecodeState, is_stop_token, step_keys
from rl.sampling.token_selection import SamplingSettings, select_tokens


def prefill_step(graphdef: nnx.GraphDef, state: nnx.State, tokens: jax.Array, lengths: jax.Array,
                 settings: SamplingSettings, rng_keys: jax.Array, max_new_tokens: jax.Array,
                 stop_token_ids: jax.Array, capacity: int, constraint_state: Optional[jax.Array] = None,
                 constraint_table: Optional[ConstraintTable] = None,
                 row_source: Optional[jax.Array] = None) -> tuple[DecodeState, jax.Array, jax.Array]:
    """Run the prompts, choose each slot's first token and return the decode state after it.

    Slots with length 0 are empty: they start finished. `capacity` (static) must be at least
    the prompt length plus max_new_tokens for every slot. With `row_source` [slots], `tokens`
    and `lengths` hold distinct prompts, each run once, and slot i starts from prompt
    row_source[i] (its cache copied), so n samples of one prompt cost one prefill.
    """
    lengths = lengths.astype(jnp.int32)
    logits, cache = forward.prefill(graphdef, state, tokens, jnp.maximum(lengths, 1), capacity)
    if row_source is not None:
        logits, lengths = logits[row_source], lengths[row_source]
        cache = cache.take_rows(row_source)
    zeros = jnp.zeros_like(lengths)
    logits = mask_logits(logits, constraint_state, constraint_table)
    first, first_log_probs = select_tokens(logits, settings, step_keys(rng_keys, zeros))
    stopped = is_stop_token(first, stop_token_ids) & (lengths > 0)
    finished = stopped | (max_new_tokens <= 1) | (lengths == 0)
    decode_state = DecodeState(
        cache=cache, next_tokens=first, positions=lengths, num_generated=jnp.where(lengths > 0, 1, 0),
        finished=finished, stopped=stopped, rng_keys=rng_keys, settings=settings,
        max_new_tokens=max_new_tokens.astype(jnp.int32), stop_token_ids=stop_token_ids.astype(jnp.int32),
        constraint_state=advance(constraint_state, constraint_table, first, lengths > 0),
    )
    return decode_state, first, first_log_probs


def decode_step(graphdef: nnx.GraphDef, state: nnx.State, decode_state: DecodeState,
                constraint_table: Optional[ConstraintTable] = None
                ) -> tuple[DecodeState, jax.Array, jax.Array, jax.Array]:
    """Advance every running slot by exactly one token."""
    s = decode_state
    logits, cache = forward.decode_logits(graphdef, state, s.next_tokens, s.positions, s.cache)
    logits = mask_logits(logits, s.constraint_state, constraint_table)
    tokens, log_probs = select_tokens(logits, s.settings, step_keys(s.rng_keys, s.num_generated))
    emitted = ~s.finished
    num_generated = s.num_generated + emitted.astype(jnp.int32)
    stopped = s.stopped | (emitted & is_stop_token(tokens, s.stop_token_ids))
    finished = s.finished | stopped | (num_generated >= s.max_new_tokens)
    new_state = s.replace(
        cache=cache,
        next_tokens=jnp.where(emitted, tokens, s.next_tokens),
        positions=s.positions + emitted.astype(jnp.int32),
        num_generated=num_generated,
        finished=finished,
        stopped=stopped,
        constraint_state=advance(s.constraint_state, constraint_table, tokens, emitted),
    )
    return new_state, tokens, log_probs, emitted
