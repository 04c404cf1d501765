"""The one comparator: Python-value equality, floats within a relative tolerance."""
import pytest

from sandbox.compare import stdout_equal, values_equal


@pytest.mark.parametrize("actual, expected", [
    (1, 1), (0.1 + 0.2, 0.3), (10 ** 30, 10 ** 30), ((1, 2.0), [1, 2.0000000001]), (1e9 + 1e3 * 1e-6, 1e9), ((1, 2), [1, 2]),
    ([1, (2, 3)], [1, [2, 3]]), ({"a": [1.0000001]}, {"a": [1.0]}), ({1, 2}, {2, 1}),
    (float("nan"), float("nan")), ("s", "s"), (None, None), (b"x", b"x"), (True, True),
])
def test_equal(actual, expected):
    assert values_equal(actual, expected)


@pytest.mark.parametrize("actual, expected", [
    (1, 2), (1.0, 1.00001), (True, 1), (0, False), ("1", 1), ((1, 2), [1, 2, 3]),
    ({"a": 1}, {"a": 1, "b": 2}), ({1}, [1]), (None, 0), (b"x", "x"), ([1], {0: 1}),
    (float("nan"), 1.0),
    # a near miss of another kind is never a match
    (1e12, 10 ** 12 + 7), (1e12, 10 ** 12), (1.0, 1), (1, 1.0), (True, 1.0), (1.0, True),
    (2, 2 + 0j), (2 + 0j, 2.0), ([1.0], [1]), ((1, 2), (1, 2.0)), ({1}, {1.0}),
    ({True}, {1}), ({1: "a"}, {1.0: "a"}), ({"a": 1.0}, {"a": 1}), (False, None),
    ("1", b"1"), ([[1]], [[1.0]]), (float("inf"), 10 ** 400), (-0.0, 0),
])
def test_not_equal(actual, expected):
    assert not values_equal(actual, expected)


def test_relative_tolerance_is_configurable():
    assert not values_equal(1.0, 1.001)
    assert values_equal(1.0, 1.001, rel_tol=1e-2)


def test_stdout_ignores_trailing_whitespace_only():
    assert stdout_equal("1 2  \n3\n\n\n", "1 2\n3")
    assert stdout_equal("a\r\nb\r\n", "a\nb\n")
    assert not stdout_equal("1  2\n", "1 2\n")
    assert not stdout_equal("\n1\n", "1\n")
