"""JetStream's `Engine` (google-jetstream 0.2.2 `engine_api`) over the project's decoder
and KV cache, so the teacher can be served by a JetStream server over gRPC.

The compute is the in-process sampler's (`rl.sampling.steps`): prefill runs one prompt
through `prefill_step` into a cache of its padded length and draws the first token;
insert copies that one-row decode state into one row (slot) of the batched state;
generate emits every slot's pending token and draws the next one with `decode_step` over
all slots. Each slot samples with its own settings and keys (seed folded with the sample
index, the n-th token folding in n), so a request's tokens do not depend on what else is
in the batch, and equal the in-process sampler's for the same seed.

Structured decoding: a request's `constraint` (a regex in its `RequestSampling`) is compiled
at prefill into a token automaton (`rl.sampling.token_automaton`, cached) and appended to the
engine's constraint table; the slot carries its automaton state and `decode_step` masks its
logits with it on the device. The table only grows (to `max_constraint_states`), so keep
the set of distinct constraints small (skeletons, not per-request text).

Departures from JetStream's reference engines: no disaggregated prefill/generate slices
(one interleaved engine on the given devices, single-device placement), and no
log-probs (JetStream's ResultTokens carries tokens only).
"""
from __future__ import annotations

import threading
from typing import Any, Optional, Sequence

import rl.jetstream.compat  # noqa: F401  (must precede the jetstream imports)

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx, struct
from jetstream.engine import engine_api, tokenizer_pb2

from rl.jetstream.request_sampling import RequestSampling
from rl.jetstream.tokenizer_adapter import JetStreamTokenizer
from rl.models.kv_cache import KVCache
from rl.models.transformer import Transformer
from rl.sampling.constraints import UNCONSTRAINED, ConstraintTable
from rl.sampling.decode_state import NO_STOP_TOKEN, DecodeState
from rl.sampling.steps import decode_step, prefill_step
from rl.sampling.token_automaton import FORBIDDEN, ConstraintError, ConstraintVocabulary, compile_regex
from rl.sampling.token_selection import SamplingSettings

# JetStream pads prompts to these lengths; max_prefill_length must be one of them.
PREFILL_BUCKETS = (16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768)


@struct.dataclass
class Prefix:
    """One prompt after prefill: the sampler's one-row decode state (cache capacity = the
    padded prompt length) holding the first token, drawn but not yet emitted."""

    decode: DecodeState


@struct.dataclass
class EngineState:
    """The batched decode state (one row per slot) and how many of each slot's generated
    tokens were already emitted to the orchestrator."""

    decode: DecodeState
    emitted: jax.Array  # int32 [slots]


def request_key(sampling: RequestSampling) -> jax.Array:
    """Raw key data [2] of a request: its seed folded with its sample index, as the
    in-process sampler keys row i of a batch seeded with `seed`."""
    return jax.random.key_data(jax.random.fold_in(jax.random.key(sampling.seed), sampling.sample_index))


def _prefill(graphdef, params, tokens, true_length, settings, key, max_new_tokens, stop_token_ids,
             constraint_state, table) -> Prefix:
    decode, _, _ = prefill_step(graphdef, params, tokens[None], true_length[None], settings, key[None],
                                max_new_tokens[None], stop_token_ids[None], tokens.shape[0],
                                constraint_state[None], table)
    return Prefix(decode=decode)


def _insert(prefix: Prefix, state: EngineState, slot: jax.Array) -> EngineState:
    """Write the prefix's row into row `slot` of every field (its cache at the start of the row)."""

    def place(rows, row):
        return jax.lax.dynamic_update_slice(rows, row.astype(rows.dtype), (slot,) + (0,) * (rows.ndim - 1))

    decode = jax.tree.map(place, state.decode.replace(cache=None), prefix.decode.replace(cache=None))
    cache = state.decode.cache.put_rows(prefix.decode.cache, slot)
    return EngineState(decode=decode.replace(cache=cache), emitted=state.emitted.at[slot].set(0))


def _generate(graphdef, params, state: EngineState, table: ConstraintTable) -> tuple[EngineState, jax.Array]:
    """Emit each slot's pending token, then draw the next with one decode step.

    A slot's pending token is valid while it has drawn more tokens than it emitted; a slot
    that stopped (stop token, or its cache full) runs out of valid tokens, which ends the
    request in the orchestrator.
    """
    decode = state.decode
    valid = state.emitted < decode.num_generated
    emitted = state.emitted + valid.astype(jnp.int32)
    result = jnp.stack([decode.next_tokens, valid.astype(jnp.int32), emitted], axis=1)
    decode, _, _, _ = decode_step(graphdef, params, decode, table)
    return EngineState(decode=decode, emitted=emitted), result


class _ConstraintRegistry:
    """The engine's append-only table of every constraint seen, offset per automaton."""

    def __init__(self, tokenizer, width: int, max_states: int):
        self._tokenizer, self._width, self.max_states = tokenizer, width, max_states
        self._vocabulary: Optional[ConstraintVocabulary] = None
        self._offsets: dict[str, int] = {}
        self._rows = np.full((0, width), FORBIDDEN, np.int32)
        self._lock = threading.Lock()
        self.table = self._device_table()

    def _device_table(self) -> ConstraintTable:
        padded = max(8, 1 << max(0, (len(self._rows) - 1)).bit_length())
        dtype = np.int16 if padded < np.iinfo(np.int16).max else np.int32
        rows = np.full((padded, self._width), FORBIDDEN, dtype)
        rows[: len(self._rows)] = self._rows
        return ConstraintTable(next_state=jnp.asarray(rows))

    def initial_state(self, regex: str) -> int:
        """The global initial state of `regex`, compiling and appending it if new."""
        if not regex:
            return UNCONSTRAINED
        with self._lock:
            if self._vocabulary is None:
                self._vocabulary = ConstraintVocabulary.of(self._tokenizer, self._width)
            automaton = compile_regex(regex, self._vocabulary)
            if automaton.key not in self._offsets:
                start = len(self._rows)
                if start + automaton.num_states > self.max_states:
                    raise ConstraintError(
                        f"the engine's constraint table is full ({start} of {self.max_states} states); restart "
                        "the server or raise max_constraint_states")
                block = automaton.next_state.astype(np.int32)
                self._rows = np.concatenate([self._rows, np.where(block == FORBIDDEN, FORBIDDEN, block + start)])
                self._offsets[automaton.key] = start
                self.table = self._device_table()
            return self._offsets[automaton.key] + automaton.initial_state


class ModelEngine(engine_api.Engine):
    """An interleaved JetStream engine over one `Transformer`.

    `slots` requests decode together; each holds at most `max_cache_length` tokens
    (prompt + completion); prompts are padded to JetStream's buckets up to
    `max_prefill_length`. `tokenizer` serves text requests and names the stop tokens.
    """

    def __init__(
        self,
        model: Transformer,
        tokenizer: JetStreamTokenizer,
        *,
        slots: int = 8,
        max_prefill_length: int = 1024,
        max_cache_length: int = 2048,
        default_sampling: RequestSampling = RequestSampling(),
        devices: Optional[Sequence[Any]] = None,
        max_constraint_states: int = 4096,
    ):
        if max_prefill_length not in PREFILL_BUCKETS:
            raise ValueError(
                f"max_prefill_length {max_prefill_length} must be one of JetStream's prefill "
                f"buckets {PREFILL_BUCKETS}")
        if max_cache_length <= max_prefill_length:
            raise ValueError(
                f"max_cache_length {max_cache_length} must exceed max_prefill_length "
                f"{max_prefill_length} to leave room for generated tokens")
        if slots < 1:
            raise ValueError(f"slots must be >= 1, got {slots}")
        self._graphdef, self._params = nnx.split(model)
        stops = sorted(tokenizer.stop_tokens)
        if not stops:
            raise ValueError("the tokenizer names no stop token; a served model needs one to end answers")
        self._stop_token_ids = jnp.asarray(stops, jnp.int32)
        self.config = model.config
        self._tokenizer = tokenizer
        self._slots = slots
        self._max_prefill_length = max_prefill_length
        self.max_cache_length = max_cache_length
        self.default_sampling = default_sampling
        self._devices = list(devices) if devices is not None else jax.devices()[:1]
        self._mesh = jax.sharding.Mesh(np.asarray(self._devices[:1]), ("data",))
        graphdef = self._graphdef
        self._constraints = _ConstraintRegistry(tokenizer.tokenizer, model.config.vocab_size, max_constraint_states)
        self._prefill_jit = jax.jit(lambda params, *arrays: _prefill(graphdef, params, *arrays))
        self._insert_jit = jax.jit(_insert, donate_argnums=(1,))
        self._generate_jit = jax.jit(lambda params, state, table: _generate(graphdef, params, state, table),
                                     donate_argnums=(1,))

    # --- the accelerator functions -------------------------------------------------

    def prefill(self, *, params, existing_prefix: Optional[Prefix] = None, padded_tokens,
                true_length: int, sampling: Optional[RequestSampling] = None) -> Prefix:
        """Run one padded prompt; `sampling` (our extension) defaults to the server's."""
        if existing_prefix is not None:
            raise ValueError("ModelEngine does not continue an existing prefix (no session caches)")
        tokens = jnp.asarray(padded_tokens, jnp.int32)
        if not 1 <= true_length <= tokens.shape[0]:
            raise ValueError(f"true_length {true_length} outside [1, {tokens.shape[0]}]")
        sampling = sampling or self.default_sampling
        settings = SamplingSettings.uniform(1, sampling.temperature, sampling.top_p, sampling.top_k)
        # The cache bound: the prompt and every generated token must fit max_cache_length.
        max_new_tokens = jnp.asarray(self.max_cache_length - true_length, jnp.int32)
        constraint_state = jnp.asarray(self._constraints.initial_state(sampling.constraint), jnp.int32)
        return self._prefill_jit(params, tokens, jnp.asarray(true_length, jnp.int32), settings,
                                 request_key(sampling), max_new_tokens, self._stop_token_ids, constraint_state,
                                 self._constraints.table)

    def insert(self, prefix: Prefix, decode_state: EngineState, slot: int) -> EngineState:
        return self._insert_jit(prefix, decode_state, jnp.asarray(slot, jnp.int32))

    def generate(self, params, decode_state: EngineState) -> tuple[EngineState, engine_api.ResultTokens]:
        decode_state, data = self._generate_jit(params, decode_state, self._constraints.table)
        return decode_state, engine_api.ResultTokens(
            data=data, tokens_idx=(0, 1), valid_idx=(1, 2), length_idx=(2, 3), samples_per_slot=1)

    def init_decode_state(self, *args, **kwargs) -> EngineState:
        slots = self._slots

        def zeros():  # a fresh buffer per field: the state is donated to each step
            return jnp.zeros((slots,), jnp.int32)

        decode = DecodeState(
            cache=KVCache.zeros(self.config, slots, self.max_cache_length),
            next_tokens=zeros(), positions=zeros(), num_generated=zeros(),
            finished=jnp.ones((slots,), bool),  # empty slots are frozen until an insert
            stopped=jnp.zeros((slots,), bool),
            rng_keys=jnp.zeros((slots, 2), jnp.uint32),
            settings=SamplingSettings.uniform(slots),
            max_new_tokens=zeros(),
            stop_token_ids=jnp.full((slots, self._stop_token_ids.shape[0]), NO_STOP_TOKEN, jnp.int32),
            constraint_state=jnp.full((slots,), UNCONSTRAINED, jnp.int32),
        )
        return EngineState(decode=decode, emitted=zeros())

    def load_params(self, *args, **kwargs):
        return self._params

    # --- descriptions the orchestrator reads ----------------------------------------

    def get_prefix_destination_sharding(self) -> Any:
        return jax.sharding.SingleDeviceSharding(self._devices[0])

    def get_tokenizer(self) -> tokenizer_pb2.TokenizerParameters:
        return tokenizer_pb2.TokenizerParameters(path=self._tokenizer.name)

    def build_tokenizer(self, metadata: tokenizer_pb2.TokenizerParameters) -> JetStreamTokenizer:
        return self._tokenizer

    @property
    def max_concurrent_decodes(self) -> int:
        return self._slots

    @property
    def samples_per_slot(self) -> int:
        return 1

    @property
    def max_prefill_length(self) -> int:
        return self._max_prefill_length

    @property
    def mesh(self) -> jax.sharding.Mesh:
        return self._mesh

    @property
    def colocated_cpus(self) -> None:
        return None
