"""The in-process sampler: batched, KV-cached decoding of token prompts under one jit.

  sampler = Sampler(graphdef, state)           # or Sampler.from_model(model)
  out = sampler.sample(prompts, max_new_tokens=128, temperature=0.0, stop_token_ids=(eos,),
                       stop_strings=("\n\n",), detokenize=tokenizer.decode, rng=jax.random.key(0))
  out.tokens[i], out.log_probs[i], out.finish_reasons[i]   # "stop" | "length"

Shapes are bucketed (batch to a power of two, prompt length to a multiple of
`prompt_bucket`) so repeated calls reuse compiled code. Without stop strings the whole
generation is one device call (prefill, then a `while_loop` of `decode_step` that exits when
every row is done); with stop strings it runs in chunks of `stop_check_interval` steps and
checks the decoded text between chunks. A row that ends on a stop token keeps it as its last
token (its log-prob matters to training); a row stopped by a stop string is cut after the
token that completes the string (the text-generation client cuts the text at the string).
Constraints (`rl.sampling.constraints`): each prompt may carry a `TokenAutomaton`; its row is
held to the automaton inside the jitted loop. Prompts that appear more than once (n samples
of one prompt) are prefilled once and their cache copied to each row.
Randomness: row i uses `rng` folded with i (or the i-th of given per-row keys), and the
n-th token of a row folds in n, so a prompt decodes the same alone and in a batch.
On a mesh (`Sampler(..., mesh=mesh)`, the train step's mesh and `rl.sharding`'s rules): the
parameters stay as they are sharded (no gather of whole weights), every per-row input is
split over the batch axes (data, fsdp) so each device decodes its rows, and the KV cache
follows (kv heads over tensor); tokens and log-probs equal a single device's. Every process
passes the whole batch and reads the whole result (a collective on a pod).
"""
from __future__ import annotations

import dataclasses
import functools
from typing import Callable, Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from jax.sharding import Mesh

from rl.sampling.constraints import ConstraintTable, TableStack
from rl.sampling.decode_state import NO_STOP_TOKEN, DecodeState
from rl.sampling.steps import decode_step, prefill_step
from rl.sampling.token_automaton import TokenAutomaton
from rl.sampling.token_selection import SamplingSettings
from rl.sharding import place_rows, place_whole, to_host

FINISH_STOP = "stop"
FINISH_LENGTH = "length"


@dataclasses.dataclass(frozen=True)
class SampleOutput:
    tokens: list[list[int]]          # generated tokens per prompt
    log_probs: list[list[float]]     # per generated token, temperature-scaled full softmax
    finish_reasons: list[str]        # "stop" (stop token or stop string) or "length"
    prompt_lengths: list[int]


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def _batch_bucket(batch_size: int) -> int:
    return 1 << max(0, (batch_size - 1).bit_length())


@functools.partial(jax.jit, static_argnums=(0, 1, 2))
def _prefill(graphdef, capacity, output_width, state, tokens, lengths, settings, rng_keys, max_new_tokens,
             stop_token_ids, constraint_state, constraint_table, row_source):
    decode_state, first, first_log_probs = prefill_step(
        graphdef, state, tokens, lengths, settings, rng_keys, max_new_tokens, stop_token_ids, capacity,
        constraint_state, constraint_table, row_source)
    shape = (rng_keys.shape[0], output_width)
    out_tokens = jnp.zeros(shape, jnp.int32).at[:, 0].set(first)
    out_log_probs = jnp.zeros(shape, jnp.float32).at[:, 0].set(first_log_probs)
    return decode_state, out_tokens, out_log_probs


@functools.partial(jax.jit, static_argnums=(0,), donate_argnums=(2, 3, 4))
def _decode_chunk(graphdef, state, decode_state: DecodeState, out_tokens, out_log_probs, max_steps,
                  constraint_table: Optional[ConstraintTable]):
    """Up to `max_steps` decode steps; stops early once every slot is finished."""
    rows = jnp.arange(out_tokens.shape[0])
    last_column = out_tokens.shape[1] - 1

    def keep_going(carry):
        step, s, _, _ = carry
        return (step < max_steps) & ~jnp.all(s.finished)

    def advance(carry):
        step, s, tokens_buffer, log_probs_buffer = carry
        index = jnp.minimum(s.num_generated, last_column)
        s, tokens, log_probs, emitted = decode_step(graphdef, state, s, constraint_table)
        tokens_buffer = tokens_buffer.at[rows, index].set(jnp.where(emitted, tokens, tokens_buffer[rows, index]))
        log_probs_buffer = log_probs_buffer.at[rows, index].set(
            jnp.where(emitted, log_probs, log_probs_buffer[rows, index]))
        return step + 1, s, tokens_buffer, log_probs_buffer

    _, decode_state, out_tokens, out_log_probs = jax.lax.while_loop(
        keep_going, advance, (jnp.int32(0), decode_state, out_tokens, out_log_probs)
    )
    return decode_state, out_tokens, out_log_probs


class Sampler:
    def __init__(self, graphdef: nnx.GraphDef, state: nnx.State, *, pad_id: int = 0, prompt_bucket: int = 32,
                 stop_check_interval: int = 16, max_stop_tokens: int = 8, share_prefill: bool = True,
                 mesh: Optional[Mesh] = None):
        self.graphdef = graphdef
        self.state = state
        self.pad_id = pad_id
        self.prompt_bucket = prompt_bucket
        self.stop_check_interval = stop_check_interval
        self.max_stop_tokens = max_stop_tokens
        self.share_prefill = share_prefill   # False: every row prefilled on its own (the benchmark's baseline)
        self.mesh = mesh
        self._tables = TableStack()
        self.logits_width = int(nnx.merge(graphdef, state).config.vocab_size)

    @classmethod
    def from_model(cls, model: nnx.Module, **kwargs) -> "Sampler":
        graphdef, state = nnx.split(model)
        return cls(graphdef, state, **kwargs)

    def _rows(self, array) -> jax.Array:
        """A per-row input on the device(s): split over the mesh's batch axes when there is one."""
        if self.mesh is None:
            return jnp.asarray(array)
        return place_rows(to_host(array), self.mesh)

    def _row_keys(self, rng: Optional[jax.Array], batch_size: int, bucket: int) -> jax.Array:
        if rng is None:
            rng = jax.random.key(0)
        if not jnp.issubdtype(rng.dtype, jax.dtypes.prng_key):
            rng = jax.random.wrap_key_data(rng)
        if rng.ndim == 0:
            keys = jax.vmap(lambda i: jax.random.fold_in(rng, i))(jnp.arange(batch_size))
        elif rng.shape[0] == batch_size:
            keys = rng
        else:
            raise ValueError(f"rng must be one key or one key per prompt ({batch_size}); got shape {rng.shape}")
        raw = jax.random.key_data(keys)
        return jnp.concatenate([raw, jnp.zeros((bucket - batch_size, raw.shape[1]), raw.dtype)])

    def sample(self, prompts: Sequence[Sequence[int]], *, max_new_tokens: int, temperature: float = 0.0,
               top_p: float = 1.0, top_k: int = 0, stop_token_ids: Sequence[int] = (),
               stop_strings: Sequence[str] = (), detokenize: Optional[Callable[[Sequence[int]], str]] = None,
               rng: Optional[jax.Array] = None,
               constraints: Optional[Sequence[Optional[TokenAutomaton]]] = None) -> SampleOutput:
        """Decode every prompt (a list of token ids) for up to max_new_tokens new tokens;
        `constraints[i]`, where given and not None, holds prompt i's reply to its automaton."""
        if not prompts:
            return SampleOutput([], [], [], [])
        if any(len(p) == 0 for p in prompts):
            raise ValueError("every prompt needs at least one token (an empty prompt has nothing to condition on)")
        if max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {max_new_tokens}")
        if stop_strings and detokenize is None:
            raise ValueError("stop_strings need a `detokenize` function (token ids -> text)")
        if len(stop_token_ids) > self.max_stop_tokens:
            raise ValueError(f"at most {self.max_stop_tokens} stop token ids are supported, got {len(stop_token_ids)}")

        if constraints is not None and len(constraints) != len(prompts):
            raise ValueError(f"{len(constraints)} constraints for {len(prompts)} prompts; give one per prompt (or None)")

        batch_size = len(prompts)
        bucket = _batch_bucket(batch_size)
        prompt_length = _round_up(max(len(p) for p in prompts), self.prompt_bucket)
        capacity = prompt_length + max_new_tokens
        distinct = list(dict.fromkeys(tuple(p) for p in prompts))
        row_source = None
        if self.share_prefill and len(distinct) < batch_size:  # prefill each distinct prompt once
            position = {prompt: index for index, prompt in enumerate(distinct)}
            padded = _batch_bucket(len(distinct) + (bucket > batch_size))
            row_source = np.full((bucket,), len(distinct), np.int32)   # padding rows: an empty prompt
            row_source[:batch_size] = [position[tuple(p)] for p in prompts]
            row_source = jnp.asarray(row_source)
        else:
            padded = bucket
        tokens = np.full((padded, prompt_length), self.pad_id, np.int32)
        lengths = np.zeros((padded,), np.int32)
        for row, prompt in enumerate(distinct if row_source is not None else prompts):
            tokens[row, : len(prompt)] = prompt
            lengths[row] = len(prompt)
        table, initial_states = self._tables.build(list(constraints or [None] * batch_size)
                                                   + [None] * (bucket - batch_size))
        constraint_state = None if table is None else jnp.asarray(initial_states)
        if table is not None and self.mesh is not None:   # every device holds the whole table
            table = jax.tree.map(lambda leaf: place_whole(to_host(leaf), self.mesh), table)
        stops = np.full((bucket, self.max_stop_tokens), NO_STOP_TOKEN, np.int32)
        stops[:, : len(stop_token_ids)] = np.asarray(stop_token_ids, np.int32)
        settings = SamplingSettings.uniform(bucket, temperature, top_p, top_k)

        rows = self._rows
        decode_state, out_tokens, out_log_probs = _prefill(
            self.graphdef, capacity, max_new_tokens, self.state, rows(tokens), rows(lengths),
            jax.tree.map(rows, settings), rows(self._row_keys(rng, batch_size, bucket)),
            rows(np.full((bucket,), max_new_tokens, np.int32)), rows(stops),
            None if constraint_state is None else rows(constraint_state), table,
            None if row_source is None else rows(row_source),
        )
        stop_string_cut: dict[int, int] = {}
        checked_final: set[int] = set()
        if not stop_strings:
            decode_state, out_tokens, out_log_probs = _decode_chunk(
                self.graphdef, self.state, decode_state, out_tokens, out_log_probs, jnp.int32(max_new_tokens),
                table)
        else:
            while True:
                decode_state, stop_string_cut = self._cut_at_stop_strings(
                    decode_state, out_tokens, batch_size, stop_strings, detokenize, stop_string_cut, checked_final)
                if bool(to_host(decode_state.finished).all()):
                    break
                decode_state, out_tokens, out_log_probs = _decode_chunk(
                    self.graphdef, self.state, decode_state, out_tokens, out_log_probs,
                    jnp.int32(self.stop_check_interval), table)

        counts = to_host(decode_state.num_generated)
        stopped = to_host(decode_state.stopped)
        all_tokens = to_host(out_tokens)
        all_log_probs = to_host(out_log_probs)
        result_tokens, result_log_probs, reasons = [], [], []
        for row in range(batch_size):
            count = stop_string_cut.get(row, int(counts[row]))
            result_tokens.append(all_tokens[row, :count].tolist())
            result_log_probs.append(all_log_probs[row, :count].tolist())
            reasons.append(FINISH_STOP if (row in stop_string_cut or stopped[row]) else FINISH_LENGTH)
        return SampleOutput(result_tokens, result_log_probs, reasons, [len(p) for p in prompts])

    def _cut_at_stop_strings(self, decode_state, out_tokens, batch_size, stop_strings, detokenize, cut,
                             checked_final):
        """Mark rows whose text contains a stop string finished; record the shortest token
        prefix that contains it. Rows already finished are checked once more, then no more."""
        counts = to_host(decode_state.num_generated)
        finished = to_host(decode_state.finished)
        tokens = None
        newly_finished = []
        for row in range(batch_size):
            if row in cut or row in checked_final:
                continue
            if finished[row]:
                checked_final.add(row)
            if tokens is None:
                tokens = to_host(out_tokens)
            generated = tokens[row, : counts[row]].tolist()
            if not any(s in detokenize(generated) for s in stop_strings):
                continue
            shortest = next(n for n in range(1, len(generated) + 1)
                            if any(s in detokenize(generated[:n]) for s in stop_strings))
            cut[row] = shortest
            newly_finished.append(row)
        if newly_finished:
            mask = np.zeros(decode_state.finished.shape, bool)
            mask[newly_finished] = True
            decode_state = decode_state.replace(finished=decode_state.finished | self._rows(mask))
        return decode_state, cut
