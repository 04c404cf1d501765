"""Answer parsing returns a structured outcome: well formed (a value) or not, with a
failure code that callers act on, and a message that is only for people."""
import pytest

from data_gen.environments import answers
from data_gen.environments.base import FORMAT_ERRORS, AnswerFailure, ParsedAnswer, RewardResult

SIGNATURE = answers.function_signature("def f(a, b):\n    return a + b\n", "f")


@pytest.mark.parametrize("parse,text,failure", [
    (answers.extract_code, "", AnswerFailure.EMPTY),
    (answers.extract_code, "I would loop over the list and sum it.", AnswerFailure.NO_CODE),
    (answers.extract_code, "```python\ndef f(:\n```", AnswerFailure.NO_CODE),
    (answers.extract_code, "x" * (answers.MAX_ANSWER_CHARS + 1), AnswerFailure.TOO_LONG),
    (answers.extract_value, "   ", AnswerFailure.EMPTY),
    (answers.extract_value, "```output\nsorted(xs)\n```", AnswerFailure.NOT_A_LITERAL),
    (answers.extract_value, "x" * (answers.MAX_ANSWER_CHARS + 1), AnswerFailure.TOO_LONG),
    (lambda text: answers.extract_arguments(text, SIGNATURE), "", AnswerFailure.EMPTY),
    (lambda text: answers.extract_arguments(text, SIGNATURE), "```input\n1, 2, 3\n```", AnswerFailure.NOT_A_LITERAL),
])
def test_each_unreadable_answer_names_its_failure(parse, text, failure):
    parsed = parse(text)
    assert not parsed.ok and parsed.failure is failure and parsed.error


@pytest.mark.parametrize("parse,text", [
    (answers.extract_code, "```python\ndef f(xs):\n    return sum(xs)\n```"),
    (answers.extract_value, "```output\n[1, 2]\n```"),
    (lambda text: answers.extract_arguments(text, SIGNATURE), "```input\n1, 2\n```"),
])
def test_a_readable_answer_has_no_failure(parse, text):
    parsed = parse(text)
    assert parsed.ok and parsed.failure is None and parsed.error is None


def test_a_failed_parse_needs_both_the_code_and_the_message():
    with pytest.raises(ValueError):
        ParsedAnswer(error="no python code block that parses")
    with pytest.raises(ValueError):
        ParsedAnswer(failure=AnswerFailure.NO_CODE)


def test_well_formed_reads_the_code_not_the_reason_text():
    for failure in AnswerFailure:
        renamed = RewardResult(0, "a message no one has seen before", failure)
        assert renamed.well_formed is (failure not in FORMAT_ERRORS)
    # reasons that read like parse failures but carry no failure code are well formed (wrong, not unreadable)
    assert RewardResult(0, "not a literal: the output differs").well_formed
    assert RewardResult(0, "wrong_answer: the output differs").well_formed
