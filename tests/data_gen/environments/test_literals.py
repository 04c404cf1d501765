"""Reading model-written literals and argument lists: only literals, never code."""
import pytest

from data_gen.environments import literals
from data_gen.environments.literals import LiteralError, Signature, parse_arguments, parse_literal

TWO = Signature(("a", "b"), required=1)


@pytest.mark.parametrize("text,expected", [
    ("1, [2, 3]", (1, [2, 3])),
    ("f(1, [2, 3])", (1, [2, 3])),
    ("a=1, b=[2, 3]", (1, [2, 3])),
    ("b=[2, 3], a=1", (1, [2, 3])),
    ("(1, [2, 3])", (1, [2, 3])),          # a lone tuple for a two-parameter function is unpacked
    ("Input 2: 1, 2", (1, 2)),
    ("a = 1\nb = 2", (1, 2)),
    ("1  # first", (1,)),
])
def test_argument_forms_read_the_same(text, expected):
    assert parse_arguments(text, TWO) == expected


@pytest.mark.parametrize("text", [
    "__import__('os').system('true')", "[i for i in range(3)]", "x", "1, *rest", "c=3", "1, 2, 3", "",
    "[" * 5000 + "]" * 5000, "9" * 30_000, "..., 1", "[...]",
])
def test_non_literals_and_wrong_arity_are_rejected(text):
    with pytest.raises(LiteralError):
        parse_arguments(text, TWO)


def test_single_tuple_argument_stays_a_tuple_for_one_parameter():
    assert parse_arguments("(1, 2)", Signature(("pair",), 1)) == ((1, 2),)


def test_parse_literal_refuses_calls():
    assert parse_literal("{1: (2, 3)}") == {1: (2, 3)}
    with pytest.raises(LiteralError):
        parse_literal("open('/etc/passwd').read()")


def test_arguments_literal_round_trips_sets_tuples_and_infinity():
    arguments = ({1, 2}, (3,), {(1, 2): "x"}, float("inf"))
    assert literals.arguments_of(literals.arguments_literal(arguments)) == arguments
    assert literals.arguments_of("") == ()
