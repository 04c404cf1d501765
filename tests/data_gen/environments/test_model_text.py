"""Reading model-written code whose compilation warns (an invalid escape sequence, `is`
with a literal) emits no warning, from the teacher-output reader and the answer grader
alike; syntax errors still count as such."""
import warnings

import pytest

from data_gen.environments import answers, model_text
from data_gen.environments.instance_reader import InstanceRequirements, read_instance

WARNING_CODE = 'import re\n\ndef f(x):\n    if x is 1:\n        return 0\n    return len(re.findall("\\d+", str(x)))\n'


def _no_warnings(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    assert [str(w.message) for w in caught] == []
    return result


def test_the_code_does_warn_when_parsed_plainly():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compile(WARNING_CODE, "<model>", "exec")
    assert any("escape sequence" in str(w.message) for w in caught)
    assert any('"is" with a literal' in str(w.message) for w in caught)


def test_a_teacher_program_that_warns_is_read_silently():
    text = f"```python\n{WARNING_CODE}```\n```input\n123\n```\n"
    instance = _no_warnings(lambda: read_instance(text, InstanceRequirements(environment="deduction", min_inputs=1, max_inputs=1)))
    assert "re.findall" in instance.code


def test_a_student_answer_that_warns_is_graded_silently():
    parsed = _no_warnings(lambda: answers.extract_code(f"Here:\n```python\n{WARNING_CODE}```"))
    assert parsed.ok and "re.findall" in parsed.value
    assert _no_warnings(lambda: model_text.literal_eval('"\\d"')) == "\\d"


def test_syntax_errors_still_raise():
    with pytest.raises(SyntaxError):
        model_text.parse("def f(:\n")


def test_a_parser_failure_is_a_recorded_rejection_not_a_crash(monkeypatch):
    """CPython 3.11 can raise SystemError from ast.parse when parses interleave (it ended a
    default run once); the reader records the reply as not parsing."""
    from data_gen.environments import make_environment
    from data_gen.environments.base import Rejection
    from data_gen.records import RejectionReason
    from sandbox import ast_parsing

    def failing_parser_double(source, mode="exec"):
        raise SystemError("AST constructor recursion depth mismatch (before=99, after=26)")

    monkeypatch.setattr(ast_parsing.ast, "parse", failing_parser_double)
    outcome = make_environment("deduction").parse_teacher("```python\ndef f(x):\n    return x + 1\n```\n```input\n3\n```\n")
    assert isinstance(outcome, Rejection) and outcome.reason == RejectionReason.SYNTAX_ERROR, outcome
