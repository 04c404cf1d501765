"""Values across the sandbox boundary as Python literal text.

Public API:
    to_literal(value) -> str     # inside the sandbox: plain data to literal text
    from_literal(text) -> value  # outside: parse literal text; never evaluates code

Plain data is None, bool, int, float, complex, str, bytes and tuples, lists, sets,
frozensets and dicts of plain data. Subclasses (a `str` with a lying `__eq__`, a
`defaultdict`, a namedtuple) are written as their base type's value, read through the
base type's own methods, so an object cannot choose the text it is written as beyond its
real data. Non-finite floats are written `float('inf')` / `float('nan')`, the one call
form (beside `set()` and `frozenset(...)`) that `from_literal` accepts in addition to
what `ast.literal_eval` does.

This module must stay standard-library only: the fork server imports it inside the
sandbox.
"""
from __future__ import annotations

import ast
import math

from sandbox.ast_parsing import parse

MAX_DEPTH = 100


class NotPlainData(ValueError):
    """A value (or text) that is not plain literal data."""


def to_literal(value, _depth: int = 0) -> str:
    """Literal text for a plain-data `value`; raises NotPlainData for anything else."""
    if _depth > MAX_DEPTH:
        raise NotPlainData(f"nested deeper than {MAX_DEPTH} levels")
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "True" if int.__index__(value) else "False"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        if math.isnan(float.__float__(value)):
            return "float('nan')"
        if math.isinf(float.__float__(value)):
            return "float('inf')" if float.__float__(value) > 0 else "-float('inf')"
        return float.__repr__(value)
    if isinstance(value, complex):
        return complex.__repr__(complex(complex.real.__get__(value), complex.imag.__get__(value)))
    if isinstance(value, str):
        return str.__repr__(str.__str__(value))
    if isinstance(value, (bytes, bytearray)):
        return bytes.__repr__(bytes(memoryview(value)))
    down = _depth + 1
    if isinstance(value, tuple):
        items = [to_literal(item, down) for item in tuple.__iter__(value)]
        return "(" + items[0] + ",)" if len(items) == 1 else "(" + ", ".join(items) + ")"
    if isinstance(value, list):
        return "[" + ", ".join(to_literal(item, down) for item in list.__iter__(value)) + "]"
    if isinstance(value, frozenset):
        items = [to_literal(item, down) for item in frozenset.__iter__(value)]
        return "frozenset({" + ", ".join(items) + "})" if items else "frozenset()"
    if isinstance(value, set):
        items = [to_literal(item, down) for item in set.__iter__(value)]
        return "{" + ", ".join(items) + "}" if items else "set()"
    if isinstance(value, dict):
        pairs = [to_literal(k, down) + ": " + to_literal(v, down) for k, v in dict.items(value)]
        return "{" + ", ".join(pairs) + "}"
    raise NotPlainData(f"a value of type {type(value).__name__} is not plain data")


_CALLABLE_FORMS = {"set", "frozenset", "float"}


def from_literal(text: str):
    """Parse literal text written by `to_literal` (or any `ast.literal_eval` literal)."""
    try:
        tree = parse(text.strip(), mode="eval")
        return _node_value(tree.body, 0)
    except NotPlainData:
        raise
    except (SyntaxError, ValueError, TypeError, RecursionError, MemoryError) as error:
        raise NotPlainData(f"not a Python literal: {type(error).__name__}: {error}") from None


def _node_value(node, depth: int):
    if depth > MAX_DEPTH + 5:
        raise NotPlainData(f"nested deeper than {MAX_DEPTH} levels")
    down = depth + 1
    if isinstance(node, ast.Constant):
        if node.value is Ellipsis:
            raise NotPlainData("Ellipsis is not plain data")
        return node.value
    if isinstance(node, ast.Tuple):
        return tuple(_node_value(item, down) for item in node.elts)
    if isinstance(node, ast.List):
        return [_node_value(item, down) for item in node.elts]
    if isinstance(node, ast.Set):
        return {_node_value(item, down) for item in node.elts}
    if isinstance(node, ast.Dict):
        if any(key is None for key in node.keys):
            raise NotPlainData("dict unpacking is not plain data")
        return {_node_value(k, down): _node_value(v, down) for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = _node_value(node.operand, down)
        if isinstance(operand, bool) or not isinstance(operand, (int, float, complex)):
            raise NotPlainData("a sign applies only to numbers")
        return -operand if isinstance(node.op, ast.USub) else +operand
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        left, right = _node_value(node.left, down), _node_value(node.right, down)
        if not (isinstance(left, (int, float)) and isinstance(right, complex)):
            raise NotPlainData("only real +/- imaginary number forms are literals")
        return left + right if isinstance(node.op, ast.Add) else left - right
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        name = node.func.id
        if name in _CALLABLE_FORMS and len(node.args) <= 1:
            return _call_form(name, [_node_value(arg, down) for arg in node.args])
    raise NotPlainData(f"{type(node).__name__} is not part of a Python literal")


def _call_form(name: str, args: list):
    if name == "float":
        if len(args) == 1 and isinstance(args[0], str) and args[0].strip().lower() in (
                "inf", "-inf", "+inf", "nan", "infinity", "-infinity"):
            return float(args[0])
        raise NotPlainData("float(...) is accepted only for 'inf' and 'nan'")
    if not args:
        return set() if name == "set" else frozenset()
    if not isinstance(args[0], (set, list, tuple)):
        raise NotPlainData(f"{name}(...) takes a set, list or tuple literal")
    return set(args[0]) if name == "set" else frozenset(args[0])
