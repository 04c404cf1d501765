"""sandbox.ast_parsing: every way Python's parser can fail on untrusted text is a
SyntaxError (deep nesting, CPython 3.11's spurious SystemError after one retry), so the
data pipeline records a rejection and the grader a verdict instead of dying."""
import ast

import pytest

from sandbox import ast_parsing
from sandbox.transport import NotPlainData, from_literal


class _FlakyParserDouble:
    """Stands in for ast.parse: raises CPython 3.11's SystemError `failures` times, then parses."""

    def __init__(self, failures: int):
        self.failures, self.calls = failures, 0
        self._parse = ast.parse

    def __call__(self, source, mode="exec"):
        self.calls += 1
        if self.calls <= self.failures:
            raise SystemError("AST constructor recursion depth mismatch (before=99, after=26)")
        return self._parse(source, mode=mode)


def test_deep_nesting_is_a_syntax_error():
    for text in ("x = " + "not " * 20000 + "1", "x = " + "-" * 100000 + "1", "(" * 5000 + ")" * 5000):
        with pytest.raises(SyntaxError):
            ast_parsing.parse(text)


def test_a_spurious_system_error_is_retried_once(monkeypatch):
    flaky = _FlakyParserDouble(failures=1)
    monkeypatch.setattr(ast_parsing.ast, "parse", flaky)
    assert isinstance(ast_parsing.parse("x = 1").body[0], ast.Assign) and flaky.calls == 2


def test_a_persistent_system_error_is_a_syntax_error_and_a_grader_verdict(monkeypatch):
    monkeypatch.setattr(ast_parsing.ast, "parse", _FlakyParserDouble(failures=10**6))
    with pytest.raises(SyntaxError, match="failed on this text twice"):
        ast_parsing.parse("x = 1")
    with pytest.raises(NotPlainData):
        from_literal("[1, 2]")
