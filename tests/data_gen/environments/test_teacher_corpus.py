"""The corpus of messy teacher outputs: each file parses or is rejected with its reason.

`corpus/expected.json` names each file's environment and expected outcome ("parsed",
with the number of inputs, or a rejection reason code). Files named `real_*` are raw
outputs of the real Qwen2.5-Coder-0.5B-Instruct prompted with the project's templates
(see corpus/capture_real_teacher.py); the others are hand-written to cover each
tolerance and each reason.
"""
import json
import os
import random

import pytest

from data_gen.environments import make_environment, synthetic_environment_names
from data_gen.environments.base import Instance, Rejection
from data_gen.records import RejectionReason

CORPUS = os.path.join(os.path.dirname(__file__), "corpus")
with open(os.path.join(CORPUS, "expected.json"), encoding="utf-8") as handle:
    EXPECTED = json.load(handle)


def _read(name: str) -> str:
    with open(os.path.join(CORPUS, name), encoding="utf-8", newline="") as handle:
        return handle.read()


def test_corpus_covers_every_reason_and_real_outputs():
    assert len(EXPECTED) >= 40
    assert sum(name.startswith("real_") for name in EXPECTED) >= 15
    assert all(os.path.exists(os.path.join(CORPUS, name)) for name in EXPECTED)
    assert sorted(name for name in os.listdir(CORPUS) if name.endswith(".txt")) == sorted(EXPECTED)
    parse_reasons = {RejectionReason.NO_CODE, RejectionReason.SYNTAX_ERROR, RejectionReason.MISSING_FUNCTION,
                     RejectionReason.NO_MESSAGE, RejectionReason.MESSAGE_LEAKS_CODE, RejectionReason.NO_INPUTS,
                     RejectionReason.BAD_INPUT_LITERAL, RejectionReason.TOO_FEW_INPUTS, RejectionReason.NO_WITNESS,
                     RejectionReason.TRUNCATED}
    assert parse_reasons <= {expected["outcome"] for expected in EXPECTED.values()}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_gets_its_expected_outcome(name):
    expected = EXPECTED[name]
    result = make_environment(expected["environment"]).parse_teacher(_read(name))
    if expected["outcome"] == "parsed":
        assert isinstance(result, Instance), result
        if "inputs" in expected:
            assert len(result.inputs) == expected["inputs"]
    else:
        assert isinstance(result, Rejection), result
        assert result.reason == expected["outcome"]
        assert result.reason in RejectionReason.all()
        assert result.diagnostic


def test_crlf_and_lf_versions_parse_to_the_same_instance():
    environment = make_environment("induction")
    assert environment.parse_teacher(_read("ind_crlf.txt")) == environment.parse_teacher(_read("ind_clean.txt"))


def test_demo_calls_and_prints_at_top_level_are_dropped():
    instance = make_environment("induction").parse_teacher(_read("ind_prints_and_demo.txt"))
    assert "__main__" not in instance.code and "assert" not in instance.code
    assert "print(\"computing\", n)" in instance.code  # prints inside f stay (the sandbox captures them)


@pytest.mark.parametrize("environment_name", synthetic_environment_names())
def test_parser_never_raises_on_garbage(environment_name):
    environment = make_environment(environment_name)
    pieces = ["```", "```python\n", "```input\n", "```message\n", "```witness\n", "def f(x):\n", "    return x\n",
              "<think>", "</think>", "<answer>", "\r\n", "[", "]", "(", "'", '"""', "1, 2", "\x00", "é", "\t"]
    generator = random.Random(environment_name)
    for _ in range(300):
        text = "".join(generator.choice(pieces) for _ in range(generator.randint(0, 40)))
        result = environment.parse_teacher(text)
        assert isinstance(result, (Instance, Rejection))
    assert isinstance(environment.parse_teacher(None), Rejection)
