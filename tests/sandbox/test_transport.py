"""Literal transport: round trips, subclasses written as their real data, no evaluation."""
import collections
import math

import pytest

from sandbox.transport import NotPlainData, from_literal, to_literal


@pytest.mark.parametrize("value", [
    None, True, False, 0, -7, 2 ** 100, 1.5, -0.0, 1e-300, 3 + 4j, "", "a'b\"c\n", b"\x00\xff",
    (), (1,), (1, "a"), [], [1, [2, (3,)]], set(), {1, 2}, frozenset(), frozenset({(1, 2)}),
    {}, {(1, 2): {"k": [None]}, 3: {4.5}}, float("inf"), -float("inf"),
])
def test_round_trip_keeps_value_and_type(value):
    back = from_literal(to_literal(value))
    assert back == value and type(back) is type(value)


def test_nan_round_trips():
    assert math.isnan(from_literal(to_literal(float("nan"))))


def test_subclasses_are_written_as_their_base_value():
    class Liar(int):
        def __repr__(self):
            return "999"
    Point = collections.namedtuple("Point", "x y")
    assert to_literal(Liar(5)) == "5"
    assert from_literal(to_literal(Point(1, 2))) == (1, 2)
    assert from_literal(to_literal(collections.defaultdict(int, a=1))) == {"a": 1}
    assert to_literal(collections.OrderedDict(b=2)) == "{'b': 2}"


def test_non_plain_values_are_refused():
    with pytest.raises(NotPlainData):
        to_literal(object())
    with pytest.raises(NotPlainData):
        to_literal([lambda: 1])
    deep = []
    for _ in range(200):
        deep = [deep]
    with pytest.raises(NotPlainData):
        to_literal(deep)


@pytest.mark.parametrize("text", [
    "__import__('os').system('true')", "open('/etc/passwd')", "[x for x in ()]", "a.b",
    "float('1.5')", "set([1]).pop()", "{**{}}", "...", "1 + 2", "lambda: 0",
])
def test_code_is_never_evaluated(text):
    with pytest.raises(NotPlainData):
        from_literal(text)
