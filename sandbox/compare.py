"""The one comparator: equality as Python values, floats within a relative tolerance.

Public API:
    values_equal(actual, expected, rel_tol=1e-6) -> bool
    stdout_equal(actual, expected) -> bool   # stdio mode: trailing whitespace ignored

Rules: bools are not numbers (True != 1); ints and floats compare numerically, floats
within `rel_tol` relative (and 1e-12 absolute, for values at zero); NaN equals NaN; a
tuple equals a list of equal items (JSON specs cannot write tuples); dict keys and set
members must match exactly (after hashing), dict values recursively.
"""
from __future__ import annotations

import math

ABS_TOL = 1e-12


def values_equal(actual, expected, rel_tol: float = 1e-6) -> bool:
    """Whether `actual` equals `expected` as Python values (see the module docstring)."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return type(actual) is bool and type(expected) is bool and actual == expected
    if _is_number(actual) and _is_number(expected):
        if isinstance(actual, float) or isinstance(expected, float):
            if math.isnan(actual) or math.isnan(expected):
                return math.isnan(actual) and math.isnan(expected)
            return math.isclose(actual, expected, rel_tol=rel_tol, abs_tol=ABS_TOL)
        return actual == expected
    if isinstance(actual, complex) and isinstance(expected, complex):
        return values_equal(actual.real, expected.real, rel_tol) and values_equal(
            actual.imag, expected.imag, rel_tol)
    if isinstance(actual, (list, tuple)) and isinstance(expected, (list, tuple)):
        return len(actual) == len(expected) and all(
            values_equal(a, e, rel_tol) for a, e in zip(actual, expected))
    if isinstance(actual, dict) and isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(
            values_equal(actual[key], expected[key], rel_tol) for key in expected)
    if isinstance(actual, (set, frozenset)) and isinstance(expected, (set, frozenset)):
        return set(actual) == set(expected)
    if type(actual) in (str, bytes, type(None)) and type(actual) is type(expected):
        return actual == expected
    return False


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def stdout_equal(actual: str, expected: str) -> bool:
    """Program output equality ignoring trailing whitespace on lines and at the end."""
    return _normalise_output(actual) == _normalise_output(expected)


def _normalise_output(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines
