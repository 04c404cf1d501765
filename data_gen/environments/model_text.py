"""Parsing model-written Python text: `parse` and `literal_eval` for text a model wrote
(teacher programs, inputs, student answers), through `sandbox.ast_parsing` (serialised
across threads, every failure a SyntaxError, the compiler's warnings about the text
silenced).
"""
from __future__ import annotations

import ast
from typing import Any

from sandbox.ast_parsing import parse


def literal_eval(text: str) -> Any:
    """`ast.literal_eval` of model text, parsed through `parse`."""
    return ast.literal_eval(parse(text.lstrip(" \t"), mode="eval"))


__all__ = ["parse", "literal_eval"]
