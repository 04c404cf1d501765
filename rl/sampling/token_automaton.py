"""Regular-expression constraints compiled to token automata, for structured decoding on the device.

    vocabulary = ConstraintVocabulary.of(tokenizer, model_vocab_size)
    automaton = compile_regex(r"```python\\n[^`]*```", vocabulary)     # cached on disk
    automaton.next_state[state, token]   # -1: token forbidden in `state`

outlines-core computes which tokens keep a partial reply on a path to a full match of the
regex (its `Index`); this module turns that into one dense table of next states
[states, model vocabulary] (16-bit while states fit, else 32-bit), with the tokenizer's stop
tokens allowed exactly in accepting states (they loop there), so a constrained reply can end
only on a full match. The sampler masks logits with the row of each slot's state and moves
the state by the sampled token, all inside the jitted decode loop (`rl.sampling.steps`).

Tables are cached on disk under `cache_dir` keyed by the vocabulary's fingerprint and the
regex, compressed (a 247 MB table of 813 states is 0.9 MB on disk: its rows repeat) and
kept under `cache_limit_bytes` by dropping the least recently used.
A regex outlines-core cannot take fails here, before any decoding, with its message.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import threading
import zipfile
import zlib
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
from outlines_core import Index, Vocabulary

FORBIDDEN = -1
_FORMAT_VERSION = "1"
MAX_STATES = 1 << 20
CACHE_LIMIT_BYTES = 256 << 20   # on-disk cache of one directory (compressed tables are small)


class ConstraintError(ValueError):
    """A constraint that cannot be compiled (bad regex, a state no token can leave, too many states)."""


@functools.lru_cache(maxsize=1)
def _byte_level_alphabet() -> dict[str, int]:
    """The GPT-2 byte-level alphabet (printable stand-ins for the 256 bytes), inverted."""
    printable = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1))
                 + list(range(ord("\xae"), ord("\xff") + 1)))
    symbols = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            symbols.append(256 + extra)
            extra += 1
    return {chr(symbol): byte for byte, symbol in zip(printable, symbols)}


@dataclasses.dataclass(frozen=True)
class ConstraintVocabulary:
    """Each ordinary token's bytes, the ids that end a reply, and the model's logits width."""

    token_bytes: tuple[Optional[bytes], ...]   # None: a special token, never allowed under a constraint
    stop_token_ids: tuple[int, ...]
    width: int                                 # logits width (>= len(token_bytes))

    @functools.cached_property
    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        digest.update(f"{self.width}|{self.stop_token_ids}|".encode())
        for token in self.token_bytes:
            digest.update(b"\xff\x00" if token is None else len(token).to_bytes(2, "little") + token)
        return digest.hexdigest()[:24]

    @classmethod
    def of(cls, tokenizer, width: Optional[int] = None) -> "ConstraintVocabulary":
        """From an `rl.loaders.tokenizer.Tokenizer` (byte-level BPE read exactly; other
        tokenizers through their decoder, one token at a time)."""
        backend = tokenizer.backend
        size = tokenizer.vocab_size
        special = {token.content for token in backend.get_added_tokens_decoder().values() if token.special}
        decoder = json.loads(backend.to_str()).get("decoder") or {}
        alphabet = _byte_level_alphabet() if decoder.get("type") == "ByteLevel" else None
        vocabulary = backend.get_vocab(with_added_tokens=True)
        token_bytes: list[Optional[bytes]] = [None] * size
        for text, token_id in vocabulary.items():
            if text in special or token_id >= size:
                continue
            if alphabet is not None and all(ch in alphabet for ch in text):
                token_bytes[token_id] = bytes(alphabet[ch] for ch in text)
            else:
                decoded = tokenizer.decode([token_id], skip_special_tokens=False)
                token_bytes[token_id] = decoded.encode() if decoded and "\ufffd" not in decoded else None
        width = size if width is None else int(width)
        if width < size:
            raise ValueError(f"logits width {width} is smaller than the tokenizer's {size} tokens")
        return cls(tuple(token_bytes), tuple(tokenizer.stop_token_ids), width)


@dataclasses.dataclass(frozen=True)
class TokenAutomaton:
    """A compiled constraint: `next_state[s, t]` is the state after token t in state s, or -1."""

    regex: str
    key: str                     # fingerprint + regex hash: names the table in caches
    next_state: np.ndarray       # [states, width] int16 or int32
    initial_state: int

    @property
    def num_states(self) -> int:
        return int(self.next_state.shape[0])

    @property
    def nbytes(self) -> int:
        return int(self.next_state.nbytes)

    def accepts(self, token_ids: Sequence[int], stop_token_ids: Sequence[int]) -> bool:
        """Whether `token_ids` (ending on a stop token) walk the table to an accepted end."""
        state = self.initial_state
        for token in token_ids:
            state = int(self.next_state[state, token])
            if state == FORBIDDEN:
                return False
        return bool(token_ids) and token_ids[-1] in stop_token_ids

    def walk(self, token_ids: Sequence[int]) -> int:
        """The state after `token_ids` (FORBIDDEN if any was not allowed)."""
        state = self.initial_state
        for token in token_ids:
            state = int(self.next_state[state, token])
            if state == FORBIDDEN:
                return FORBIDDEN
        return state


_memory_cache: dict[str, TokenAutomaton] = {}
_memory_lock = threading.Lock()


def default_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "synthcurriculum" / "automata"


def compile_regex(regex: str, vocabulary: ConstraintVocabulary, *,
                  cache_dir: Optional[Path] = None, cache_limit_bytes: int = CACHE_LIMIT_BYTES) -> TokenAutomaton:
    """The token automaton of `regex` over `vocabulary` (from memory, disk, or built)."""
    key = hashlib.sha256(f"{_FORMAT_VERSION}|{vocabulary.fingerprint}|{regex}".encode()).hexdigest()[:32]
    with _memory_lock:
        if key in _memory_cache:
            return _memory_cache[key]
    directory = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = directory / f"{key}.npz"
    automaton = _read_cached(path, regex, key)
    if automaton is None:
        automaton = _build(regex, vocabulary, key)
        _write_cached(path, automaton)
        _trim_cache(directory, cache_limit_bytes, keep=path)
    with _memory_lock:
        _memory_cache[key] = automaton
    return automaton


def _read_cached(path: Path, regex: str, key: str) -> Optional[TokenAutomaton]:
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["regex"]) != regex:
                return None
            automaton = TokenAutomaton(regex, key, data["next_state"], int(data["initial_state"]))
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile, zlib.error):
        return None   # absent or damaged: rebuilt and rewritten
    try:
        os.utime(path)   # recently used: the last to be trimmed
    except OSError:
        pass
    return automaton


def _write_cached(path: Path, automaton: TokenAutomaton) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp.npz")
        np.savez_compressed(temporary, next_state=automaton.next_state, initial_state=automaton.initial_state,
                            regex=np.asarray(automaton.regex))
        os.replace(temporary, path)
    except OSError:
        pass  # a read-only cache only costs a rebuild next time


def _trim_cache(directory: Path, limit_bytes: int, keep: Path) -> None:
    """Delete the least recently used tables until the directory's tables fit `limit_bytes`."""
    try:
        entries = sorted(((entry.stat().st_mtime, entry.stat().st_size, entry) for entry in directory.glob("*.npz")
                          if entry != keep), key=lambda item: item[0])
        total = sum(size for _, size, _ in entries) + (keep.stat().st_size if keep.exists() else 0)
        for _, size, entry in entries:
            if total <= limit_bytes:
                break
            entry.unlink(missing_ok=True)
            total -= size
    except OSError:
        pass  # another process trimmed first, or the directory is read-only


def _outlines_vocabulary(vocabulary: ConstraintVocabulary):
    by_bytes: dict[bytes, list[int]] = {}
    eos = vocabulary.stop_token_ids[0] if vocabulary.stop_token_ids else len(vocabulary.token_bytes)
    for token_id, token in enumerate(vocabulary.token_bytes):
        if token and token_id not in vocabulary.stop_token_ids:
            by_bytes.setdefault(token, []).append(token_id)
    return Vocabulary(eos, by_bytes), eos


_outlines_vocabularies: dict[str, tuple] = {}


def _build(regex: str, vocabulary: ConstraintVocabulary, key: str) -> TokenAutomaton:
    if vocabulary.fingerprint not in _outlines_vocabularies:
        _outlines_vocabularies[vocabulary.fingerprint] = _outlines_vocabulary(vocabulary)
    outlines_vocabulary, eos = _outlines_vocabularies[vocabulary.fingerprint]
    try:
        index = Index(regex, outlines_vocabulary)
    except (ValueError, RuntimeError, TypeError) as error:
        raise ConstraintError(f"cannot compile the constraint regex {regex[:120]!r}: {error}") from None
    transitions = index.get_transitions()
    finals = set(index.get_final_states())
    order = sorted(transitions.keys() | finals)
    if len(order) >= MAX_STATES:
        raise ConstraintError(f"the constraint regex needs {len(order)} automaton states (limit {MAX_STATES}); "
                              "simplify it (fewer counted repetitions)")
    dense = {state: position for position, state in enumerate(order)}
    dtype = np.int16 if len(order) < np.iinfo(np.int16).max else np.int32
    table = np.full((len(order), vocabulary.width), FORBIDDEN, dtype)
    for state, moves in transitions.items():
        row = table[dense[state]]
        tokens = np.fromiter((t for t in moves if t != eos), np.int64)
        targets = np.fromiter((dense[moves[t]] for t in moves if t != eos), np.int64)
        row[tokens] = targets
    for state in finals:
        table[dense[state], list(vocabulary.stop_token_ids)] = dense[state]
    dead = np.flatnonzero((table < 0).all(axis=1))
    if dead.size:
        raise ConstraintError(f"the constraint regex {regex[:120]!r} has {dead.size} state(s) that no token of "
                              "this vocabulary can leave")
    return TokenAutomaton(regex, key, table, dense[index.get_initial_state()])
