"""The decode state of a batch of slots: the KV cache plus, per slot, the token to feed next,
its position, how many tokens were generated, whether the slot is finished, its PRNG key and
its sampling settings and, under structured decoding, its constraint's automaton state. A real dataclass (a pytree), passed in and out of the jitted steps."""
from __future__ import annotations

from typing import Optional

import jax
import jax.numpy as jnp
from flax import struct

from rl.models.kv_cache import KVCache
from rl.sampling.token_selection import SamplingSettings

NO_STOP_TOKEN = -1  # padding in `stop_token_ids`


@struct.dataclass
class DecodeState:
    cache: KVCache
    next_tokens: jax.Array      # [b] int32: the last generated token, fed at the next step
    positions: jax.Array        # [b] int32: the cache slot `next_tokens` is written to
    num_generated: jax.Array    # [b] int32: tokens generated so far (next_tokens included)
    finished: jax.Array         # [b] bool: hit a stop token or max_new_tokens (or an empty slot)
    stopped: jax.Array          # [b] bool: finished because of a stop token
    rng_keys: jax.Array         # [b, 2] uint32 raw key data; step keys fold in num_generated
    settings: SamplingSettings
    max_new_tokens: jax.Array   # [b] int32
    stop_token_ids: jax.Array   # [b, k] int32, padded with NO_STOP_TOKEN
    # [b] int32 automaton state of each slot's constraint (-1: unconstrained); None when no
    # slot of the batch has one (`rl.sampling.constraints`).
    constraint_state: Optional[jax.Array] = None

    @property
    def batch_size(self) -> int:
        return self.next_tokens.shape[0]


def step_keys(rng_keys: jax.Array, num_generated: jax.Array) -> jax.Array:
    """Per-row typed keys for the token at index num_generated: independent of batch layout."""
    return jax.vmap(lambda raw, n: jax.random.fold_in(jax.random.wrap_key_data(raw), n))(rng_keys, num_generated)


def is_stop_token(tokens: jax.Array, stop_token_ids: jax.Array) -> jax.Array:
    return jnp.any((tokens[:, None] == stop_token_ids) & (stop_token_ids != NO_STOP_TOKEN), axis=-1)
