"""The one comparator: equality as Python values, by type, floats within a relative tolerance.

Public API:
    values_equal(actual, expected, rel_tol=1e-6) -> bool
    stdout_equal(actual, expected) -> bool   # stdio mode: trailing whitespace ignored

Rules (a near miss is never a match): the answer must have the expected value's kind.
An int expected needs an int (bool is not an int, an int-valued float is not an int);
a bool needs a bool; a float needs a float, equal within `rel_tol` relative (and 1e-12
absolute, for values at zero), NaN equal to NaN; a complex needs a complex, parts
compared as floats; str, bytes and None need exactly that type and value. Containers
compare element by element: a tuple equals a list of equal items (JSON specs cannot
write tuples); dict keys and set members must match exactly (after hashing), dict
values recursively. Benchmarks with their own semantics keep them (HumanEval's asserts
use Python `==`; see sandbox.child).
"""
from __future__ import annotations

import math

ABS_TOL = 1e-12


def values_equal(actual, expected, rel_tol: float = 1e-6) -> bool:
    """Whether `actual` equals `expected` as Python values (see the module docstring)."""
    if type(expected) is bool or type(actual) is bool:
        return type(actual) is bool and type(expected) is bool and actual == expected
    if isinstance(expected, int) and not isinstance(expected, bool):
        return isinstance(actual, int) and not isinstance(actual, bool) \
            and int(actual) == int(expected)
    if isinstance(expected, float):
        return isinstance(actual, float) and _floats_equal(actual, expected, rel_tol)
    if isinstance(expected, complex):
        return isinstance(actual, complex) and _floats_equal(
            actual.real, expected.real, rel_tol) and _floats_equal(
            actual.imag, expected.imag, rel_tol)
    if isinstance(actual, (list, tuple)) and isinstance(expected, (list, tuple)):
        return len(actual) == len(expected) and all(
            values_equal(a, e, rel_tol) for a, e in zip(actual, expected))
    if isinstance(actual, dict) and isinstance(expected, dict):
        return _same_members(actual.keys(), expected.keys()) and all(
            values_equal(actual[key], expected[key], rel_tol) for key in expected)
    if isinstance(actual, (set, frozenset)) and isinstance(expected, (set, frozenset)):
        return _same_members(actual, expected)
    if type(expected) in (str, bytes, type(None)) and type(actual) is type(expected):
        return actual == expected
    return False


def _same_members(actual, expected) -> bool:
    """Set-like equality where each member also has its counterpart's exact kind
    (Python's own would match 1 with 1.0 and True)."""
    if len(actual) != len(expected) or set(actual) != set(expected):
        return False
    counterpart = {member: member for member in expected}
    return all(values_equal(member, counterpart[member], 0.0) for member in actual)


def _floats_equal(actual: float, expected: float, rel_tol: float) -> bool:
    if math.isnan(actual) or math.isnan(expected):
        return math.isnan(actual) and math.isnan(expected)
    return math.isclose(actual, expected, rel_tol=rel_tol, abs_tol=ABS_TOL)


def stdout_equal(actual: str, expected: str) -> bool:
    """Program output equality ignoring trailing whitespace on lines and at the end."""
    return _normalise_output(actual) == _normalise_output(expected)


def _normalise_output(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines
