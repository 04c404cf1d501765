"""Structured decoding on the device: a tiny random model (random logits) held to regexes by
token automata built from the byte tokenizer. Replies that stop match their regex in full;
replies cut by the limit are prefixes of a match; mixed batches keep each row's constraint;
unconstrained rows decode exactly as without constraints; n copies of a prompt prefilled once
give the same tokens as separate prefills."""
import re

import jax
import numpy as np
import pytest

from rl.sampling.sampler import Sampler
from rl.sampling.token_automaton import ConstraintError, ConstraintVocabulary, compile_regex
from tests.fixtures.byte_tokenizer import byte_tokenizer
from tests.fixtures.tiny_model import TINY_VOCAB_SIZE, tiny_model

REGEXES = [r"```input\n-?[1-9][0-9]{0,3}(, '[a-z]{1,6}')?\n```",
           r"(yes|no|maybe)",
           r"```python\ndef f\([a-z]\):\n    return [^`\n]+\n```"]


@pytest.fixture(scope="module")
def tokenizer():
    return byte_tokenizer()


@pytest.fixture(scope="module")
def vocabulary(tokenizer):
    return ConstraintVocabulary.of(tokenizer, TINY_VOCAB_SIZE)


@pytest.fixture(scope="module")
def sampler():
    return Sampler.from_model(tiny_model("qwen2", seed=11), prompt_bucket=32)


@pytest.fixture(scope="module")
def automata(vocabulary, tmp_path_factory):
    cache = tmp_path_factory.mktemp("automata")
    return [compile_regex(regex, vocabulary, cache_dir=cache) for regex in REGEXES]


def test_stopped_replies_match_their_regex_in_full(sampler, tokenizer, automata):
    prompts = [tokenizer.encode(f"prompt {i}", add_special_tokens=False) for i in range(12)]
    constraints = [automata[i % 3] for i in range(12)]
    out = sampler.sample(prompts, max_new_tokens=60, temperature=1.0, stop_token_ids=tokenizer.stop_token_ids,
                         rng=jax.random.key(3), constraints=constraints)
    stopped = 0
    for tokens, reason, automaton in zip(out.tokens, out.finish_reasons, constraints):
        text = tokenizer.decode(tokens)
        if reason == "stop":
            stopped += 1
            assert tokens[-1] in tokenizer.stop_token_ids
            assert re.fullmatch(automaton.regex, text), (automaton.regex, text)
            assert automaton.accepts(tokens, tokenizer.stop_token_ids)
        else:
            assert len(tokens) == 60
            assert automaton.walk(tokens) >= 0, text   # a prefix of some match
    assert stopped >= 6


def test_reply_cut_by_the_limit_is_a_prefix_and_says_length(sampler, tokenizer, automata):
    out = sampler.sample([tokenizer.encode("x", add_special_tokens=False)], max_new_tokens=5, temperature=1.0,
                         stop_token_ids=tokenizer.stop_token_ids, rng=jax.random.key(0), constraints=[automata[2]])
    assert out.finish_reasons == ["length"]
    assert tokenizer.decode(out.tokens[0]) == "```py"


def test_mixed_batch_keeps_rows_apart_and_free_rows_unchanged(sampler, tokenizer, automata):
    prompts = [tokenizer.encode(text, add_special_tokens=False) for text in ("alpha", "beta", "gamma", "delta")]
    settings = dict(max_new_tokens=24, temperature=1.0, top_p=0.9, stop_token_ids=tokenizer.stop_token_ids,
                    rng=jax.random.key(5))
    free = sampler.sample(prompts, **settings)
    mixed = sampler.sample(prompts, **settings, constraints=[None, automata[1], None, automata[0]])
    assert mixed.tokens[0] == free.tokens[0] and mixed.tokens[2] == free.tokens[2]
    np.testing.assert_allclose(mixed.log_probs[0], free.log_probs[0], atol=1e-6)
    assert re.fullmatch(r"(yes|no|maybe)", tokenizer.decode(mixed.tokens[1]))
    assert automata[0].walk(mixed.tokens[3]) >= 0


def test_repeated_prompt_is_prefilled_once_with_the_same_tokens(sampler, tokenizer):
    prompt = tokenizer.encode("same prompt", add_special_tokens=False)
    other = tokenizer.encode("another", add_special_tokens=False)
    keys = jax.numpy.stack([jax.random.fold_in(jax.random.key(9), i) for i in range(5)])
    together = sampler.sample([prompt, prompt, other, prompt, other], max_new_tokens=10, temperature=1.0, rng=keys)
    for row, source in enumerate([prompt, prompt, other, prompt, other]):
        alone = sampler.sample([source], max_new_tokens=10, temperature=1.0, rng=keys[row][None])
        assert alone.tokens[0] == together.tokens[row]
        np.testing.assert_allclose(alone.log_probs[0], together.log_probs[row], atol=1e-5)


def test_bad_regex_fails_before_decoding_with_its_construct(vocabulary, tmp_path):
    with pytest.raises(ConstraintError, match=r"cannot compile the constraint regex '\(abc'"):
        compile_regex("(abc", vocabulary, cache_dir=tmp_path)


def test_tables_are_cached_on_disk_and_reused(vocabulary, tmp_path):
    from rl.sampling import token_automaton

    first = compile_regex(r"[ab]{2}c", vocabulary, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("*.npz"))) == 1
    token_automaton._memory_cache.clear()
    again = compile_regex(r"[ab]{2}c", vocabulary, cache_dir=tmp_path)
    np.testing.assert_array_equal(first.next_state, again.next_state)
    (next(tmp_path.glob("*.npz"))).write_bytes(b"damaged")
    token_automaton._memory_cache.clear()
    rebuilt = compile_regex(r"[ab]{2}c", vocabulary, cache_dir=tmp_path)
    np.testing.assert_array_equal(first.next_state, rebuilt.next_state)
    path = next(tmp_path.glob("*.npz"))
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])   # a write cut short
    token_automaton._memory_cache.clear()
    np.testing.assert_array_equal(first.next_state, compile_regex(r"[ab]{2}c", vocabulary, cache_dir=tmp_path).next_state)


def test_cached_tables_are_compressed_and_uncompressed_ones_still_read(vocabulary, tmp_path):
    import zipfile

    from rl.sampling import token_automaton

    token_automaton._memory_cache.clear()
    automaton = compile_regex(r"[ab]{2}c", vocabulary, cache_dir=tmp_path)
    path = next(tmp_path.glob("*.npz"))
    with zipfile.ZipFile(path) as archive:
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_DEFLATED}
    np.savez(path, next_state=automaton.next_state, initial_state=automaton.initial_state,
             regex=np.asarray(automaton.regex))
    token_automaton._memory_cache.clear()
    again = compile_regex(r"[ab]{2}c", vocabulary, cache_dir=tmp_path)
    np.testing.assert_array_equal(automaton.next_state, again.next_state)
    assert again.next_state.dtype == automaton.next_state.dtype and again.initial_state == automaton.initial_state


def test_cache_keeps_the_most_recently_used_tables_within_its_limit(vocabulary, tmp_path):
    import os

    from rl.sampling import token_automaton

    token_automaton._memory_cache.clear()
    regexes = [r"[ab]{2}c", r"a+b", r"c[ab]*", r"(ab|ba)c"]
    paths = []
    for age, regex in enumerate(regexes[:3]):
        compile_regex(regex, vocabulary, cache_dir=tmp_path)
        newest = max(tmp_path.glob("*.npz"), key=os.path.getmtime) if age == 0 else \
            (set(tmp_path.glob("*.npz")) - set(paths)).pop()
        os.utime(newest, (1000 + age, 1000 + age))   # the first written is the least recently used
        paths.append(newest)
    size = max(p.stat().st_size for p in paths)
    token_automaton._memory_cache.clear()
    compile_regex(regexes[0], vocabulary, cache_dir=tmp_path)   # read back: now the most recently used
    compile_regex(regexes[3], vocabulary, cache_dir=tmp_path, cache_limit_bytes=int(size * 2.5))
    left = set(tmp_path.glob("*.npz"))
    assert len(left) == 2 and paths[0] in left and paths[1] not in left and paths[2] not in left
