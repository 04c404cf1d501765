"""Parsing model-written Python text without the compiler's warnings about it.

Owns `parse` and `literal_eval` for text a model wrote (teacher programs, inputs, student
answers): Python warns while compiling such text (`SyntaxWarning: invalid escape
sequence '\\d'`, `"is" with a literal`), and those warnings are about the model's text,
not something the user can act on, so they are silenced around these calls only. Syntax
errors still raise as usual.
"""
from __future__ import annotations

import ast
import warnings
from typing import Any


def parse(source: str, mode: str = "exec") -> ast.AST:
    """`ast.parse(source, mode=mode)` with SyntaxWarning and DeprecationWarning silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)   # what 3.11 raises for invalid escapes
        return ast.parse(source, mode=mode)


def literal_eval(text: str) -> Any:
    """`ast.literal_eval` of model text, parsed through `parse`."""
    return ast.literal_eval(parse(text.lstrip(" \t"), mode="eval"))
