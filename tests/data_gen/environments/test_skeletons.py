"""Teacher output skeletons: the frame admits well-formed replies (the corpus's clean ones),
forbids the wrong number of literals and call-form inputs, and every reply its automaton can
produce reads back with the right number of blocks and arguments; the two-part decoding
continues the head with a tail built from f's signature."""
import asyncio
import random
import re

import numpy as np
import pytest

from data_gen.environments import make_environment
from data_gen.environments.base import Instance, Rejection
from data_gen.environments.skeletons import OutputSkeleton, generate_in_skeleton
from data_gen.records import RejectionReason
from rl.generation.types import Completion, GenerationRequest, GenerationResult, Message
from rl.sampling.token_automaton import FORBIDDEN, ConstraintVocabulary, compile_regex
from tests.data_gen.environments.test_teacher_corpus import _read
from tests.fixtures.byte_tokenizer import byte_tokenizer

FENCED = re.compile(r"```[a-z]+\n.*?\n```", re.DOTALL)
ENVIRONMENTS = ("induction", "deduction", "abduction", "fuzzing")


@pytest.fixture(scope="module")
def tokenizer():
    return byte_tokenizer()


@pytest.fixture(scope="module")
def vocabulary(tokenizer):
    return ConstraintVocabulary.of(tokenizer)


def _in_skeleton_form(text: str) -> tuple[str, str]:
    """The reply's fenced blocks joined as the skeleton lays them out: (head, tail)."""
    blocks = FENCED.findall(text.replace("\r\n", "\n"))
    return blocks[0] + "\n", "\n".join(blocks[1:])


@pytest.mark.parametrize("name, environment", [("ind_clean.txt", "induction"), ("ded_clean.txt", "deduction"),
                                               ("abd_clean.txt", "abduction"), ("fuzz_clean.txt", "fuzzing")])
def test_clean_corpus_replies_are_admitted(name, environment, tokenizer, vocabulary, tmp_path):
    skeleton = make_environment(environment).skeleton
    head, tail = _in_skeleton_form(_read(name))
    assert re.fullmatch(skeleton.head_regex(), head)
    assert re.fullmatch(skeleton.tail_regex(skeleton.arity_of(head)), tail)
    for regex, text in ((skeleton.head_regex(), head), (skeleton.tail_regex(skeleton.arity_of(head)), tail)):
        automaton = compile_regex(regex, vocabulary, cache_dir=tmp_path)
        ids = tokenizer.encode(text, add_special_tokens=False) + [tokenizer.stop_token_ids[0]]
        assert automaton.accepts(ids, tokenizer.stop_token_ids)


def test_tail_holds_the_arity_and_forbids_calls_and_names():
    tail = OutputSkeleton().tail_regex(2)
    assert re.fullmatch(tail, "```input\n[1, 2], 'a, b'\n```")
    assert re.fullmatch(tail, "```input\n{'k': (1, 2)}, -3.5\n```")
    for wrong in ("```input\n[1, 2]\n```", "```input\n1, 2, 3\n```", "```input\nf(1, 2)\n```",
                  "```input\nx, 2\n```", "```input\n1, 2\n```\n```input\n3, 4\n```"):
        assert not re.fullmatch(tail, wrong), wrong


def test_head_requires_each_function_in_order():
    fuzzing = make_environment("fuzzing").skeleton
    ok = "```python\ndef f(x):\n    return x\n\ndef pre_test_f(x):\n    return True\n\ndef test_f(x):\n    return 1\n```\n"
    assert re.fullmatch(fuzzing.head_regex(), ok)
    assert not re.fullmatch(fuzzing.head_regex(), ok.replace("def test_f", "def check"))
    assert not re.fullmatch(fuzzing.head_regex(), ok.replace("def pre_test_f(x)", "def pre_test_f()"))
    deduction = make_environment("deduction").skeleton
    assert not re.fullmatch(deduction.head_regex(), "```python\ndef f():\n    return 3\n```\n")
    assert re.fullmatch(deduction.head_regex(), "```python\ndef f(*xs):\n    return 3\n```\n")
    assert fuzzing.arity_of(ok) == 1
    assert OutputSkeleton().arity_of("```python\ndef f(a, b, c=1):\n    pass\n```\n") == 2
    assert OutputSkeleton().arity_of("```python\ndef f(*xs):\n    pass\n```\n") is None


def test_head_ends_with_the_last_required_function():
    """Helpers come before the required functions and may not take their names; once the
    last one's body returns to the top level, only the closing fence may follow (the loop
    of one more `def` after another that truncated a small teacher's replies)."""
    deduction = make_environment("deduction").skeleton.head_regex()
    body = "def f(x):\n    return helper(x)\n\n"
    assert re.fullmatch(deduction, "```python\nimport math\n\ndef helper(x):\n    return x\n\n" + body + "```\n")
    assert not re.fullmatch(deduction, "```python\n" + body + "def helper(x):\n    return x\n```\n")
    assert not re.fullmatch(deduction, "```python\n" + body + "def f(x):\n    return x\n```\n")
    assert not re.fullmatch(deduction, "```python\n" + body + "X = 3\n```\n")
    assert not re.fullmatch(deduction, "```python\n" + body + " witness = 3\n```\n")   # one space: not a body
    assert re.fullmatch(deduction, "```python\ndef f(x):\n\treturn x\n```\n")
    assert not re.fullmatch(deduction, "```python\ndef f():\n    pass\n\n" + body + "```\n")
    assert re.fullmatch(deduction, "```python\ndef f2():\n    pass\n\ndef ff(y):\n    pass\n" + body + "```\n")
    fuzzing = make_environment("fuzzing").skeleton.head_regex()
    three = "def f(x):\n    return x\n\ndef pre_test_f(x):\n    return True\n\ndef test_f(x):\n    return 1\n"
    assert re.fullmatch(fuzzing, "```python\n" + three + "```\n")
    assert not re.fullmatch(fuzzing, "```python\ndef test_f(x):\n    pass\n" + three + "```\n")
    assert re.fullmatch(fuzzing, "```python\ndef test_helper(x):\n    pass\n" + three + "```\n")


def _random_accepted_text(automaton, tokenizer, rng: random.Random) -> str:
    """A random reply the automaton accepts: random allowed tokens, steered to an end."""
    table = automaton.next_state
    stops = set(tokenizer.stop_token_ids)
    accepting = {s for s in range(table.shape[0]) if any(table[s, t] != FORBIDDEN for t in stops)}
    distance = {s: 0 for s in accepting}
    frontier = list(accepting)
    while frontier:   # reverse breadth-first search: steps from each state to an accepting one
        following = []
        for state in range(table.shape[0]):
            if state not in distance and np.isin(table[state], frontier).any():
                distance[state] = distance[frontier[0]] + 1
                following.append(state)
        frontier = following
    state, tokens = automaton.initial_state, []
    for _ in range(3000):
        allowed = [t for t in np.flatnonzero(table[state] != FORBIDDEN) if t not in stops]
        if state in accepting and (not allowed or rng.random() < 0.3):
            return tokenizer.decode(tokens)
        closer = [t for t in allowed if distance.get(int(table[state, t]), 1 << 30) < distance[state]]
        token = rng.choice(closer if closer and rng.random() < 0.7 else allowed)
        tokens.append(int(token))
        state = int(table[state, token])
    raise AssertionError("the walk did not end")


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_admitted_tail_reads_back_with_its_blocks_and_arity(environment, tokenizer, vocabulary, tmp_path):
    env = make_environment(environment)
    skeleton = env.skeleton
    parameters = "a, b"
    head = "```python\n" + "".join(f"def {name}({parameters}):\n    return a\n\n" for name in skeleton.functions)
    head = head.rstrip("\n") + "\n```\n"
    automaton = compile_regex(skeleton.tail_regex(skeleton.arity_of(head)), vocabulary, cache_dir=tmp_path)
    rng = random.Random(environment)
    frame_failures = {RejectionReason.NO_INPUTS, RejectionReason.NO_MESSAGE, RejectionReason.NO_WITNESS,
                      RejectionReason.NO_CODE, RejectionReason.MISSING_FUNCTION, RejectionReason.TRUNCATED}
    parsed = 0
    for _ in range(12):
        outcome = env.parse_teacher(head + _random_accepted_text(automaton, tokenizer, rng))
        if isinstance(outcome, Rejection):
            assert outcome.reason not in frame_failures, outcome
            continue
        parsed += 1
        assert isinstance(outcome, Instance)
        assert all(len(arguments) == 2 for arguments in outcome.inputs)
        if skeleton.message:
            assert outcome.message
    assert parsed >= 1


class _RecordingTeacherDouble:
    """A test double of a text generator: answers from a script and records each request."""

    def __init__(self, replies):
        self.replies, self.requests = list(replies), []

    async def agenerate(self, requests):
        self.requests += list(requests)
        text, reason = self.replies.pop(0)
        return [GenerationResult((Completion(text, 100, len(text), reason),))]


def test_two_part_decoding_continues_the_head_with_a_signature_tail():
    skeleton = make_environment("deduction").skeleton
    head = "```python\ndef f(xs, k):\n    return xs[k:]\n```\n"
    double = _RecordingTeacherDouble([(head, "stop"), ("```input\n[1, 2, 3], 1\n```", "stop")])
    request = GenerationRequest(messages=(Message("user", "write"),), max_new_tokens=300)
    completion = asyncio.run(generate_in_skeleton(double, request, skeleton))
    first, second = double.requests
    assert first.constraint == skeleton.head_regex() and first.response_prefix == ""
    assert second.response_prefix == head and second.constraint == skeleton.tail_regex(2)
    assert second.max_new_tokens == 300
    assert completion.text == head + "```input\n[1, 2, 3], 1\n```" and completion.finish_reason == "stop"
    assert completion.completion_tokens == len(head) + len("```input\n[1, 2, 3], 1\n```")


def test_tail_takes_its_own_token_limit_and_a_cut_tail_says_length():
    skeleton = make_environment("abduction").skeleton
    head = "```python\ndef f(x):\n    return x\n```\n"
    double = _RecordingTeacherDouble([(head, "stop"), ("```input\n'aaaa", "length")])
    request = GenerationRequest(messages=(Message("user", "write"),), max_new_tokens=256)
    completion = asyncio.run(generate_in_skeleton(double, request, skeleton, tail_tokens_per_block=96))
    first, second = double.requests
    assert first.max_new_tokens == 256 and second.max_new_tokens == 96
    assert completion.finish_reason == "length"
    induction = make_environment("induction").skeleton      # five input blocks and the hint
    assert induction.tail_blocks == 6
    double = _RecordingTeacherDouble([(head, "stop"), ("```input\n1", "length")])
    asyncio.run(generate_in_skeleton(double, request, induction, tail_tokens_per_block=96))
    assert double.requests[1].max_new_tokens == 6 * 96


def test_head_cut_by_the_limit_is_truncated_in_the_pipeline():
    from data_gen.pipeline import read_teacher_reply

    env = make_environment("deduction")
    double = _RecordingTeacherDouble([("```python\ndef f(x):\n    return", "length")])
    request = GenerationRequest(messages=(Message("user", "write"),), max_new_tokens=300)
    completion = asyncio.run(generate_in_skeleton(double, request, env.skeleton))
    assert len(double.requests) == 1 and completion.finish_reason == "length"
    outcome = read_teacher_reply(env, completion.text, completion.finish_reason, constrained=True)
    assert isinstance(outcome, Rejection) and outcome.reason == RejectionReason.TRUNCATED
