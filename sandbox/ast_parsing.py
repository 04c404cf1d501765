"""Parsing untrusted Python text (a model's, a candidate's result) safely from any thread.

`parse(text, mode)` is `ast.parse` made dependable for text nobody vetted:
- one process-wide lock serialises the parses, so two threads (the data pipeline's and
  the grading pool's) never interleave inside CPython's AST constructor, whose recursion
  counter is shared by the interpreter; on CPython 3.11 an interleaving shows as
  `SystemError: AST constructor recursion depth mismatch` (python/cpython gh-106905);
- a SystemError that still happens (a parse outside this module interleaved) is retried
  once and then reported as a SyntaxError;
- RecursionError and MemoryError on deeply nested text are SyntaxErrors too.
So a caller handles one exception, SyntaxError, and records a rejection instead of dying.
Warnings about the text (`SyntaxWarning: invalid escape sequence`) are silenced: they are
about text the user did not write.
"""
from __future__ import annotations

import ast
import threading
import warnings

_LOCK = threading.Lock()


def parse(source: str, mode: str = "exec") -> ast.AST:
    """`ast.parse(source, mode=mode)`; every failure is a SyntaxError (see the module)."""
    failure: BaseException | None = None
    for _ in range(2):
        try:
            with _LOCK, warnings.catch_warnings():
                warnings.simplefilter("ignore", SyntaxWarning)
                warnings.simplefilter("ignore", DeprecationWarning)   # what 3.11 raises for invalid escapes
                return ast.parse(source, mode=mode)
        except SystemError as error:
            failure = error
        except (RecursionError, MemoryError) as error:
            raise SyntaxError(f"too deeply nested to parse ({type(error).__name__})") from None
    raise SyntaxError(f"Python's parser failed on this text twice ({failure})") from None
