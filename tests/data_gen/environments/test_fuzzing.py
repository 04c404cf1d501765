"""Fuzzing: witness validation, and rewards (pre_test_f must hold, test_f must fail;
an exception in pre_test_f counts as not holding, in test_f as failing)."""
import pytest

from data_gen.environments import make_environment, reward, validate
from data_gen.environments.base import Rejection
from data_gen.records import Problem, RejectionReason as Reason

from tests.data_gen.environments.teacher_texts import teacher_text

# f reverses the digits of an int but mishandles negatives (int("21-") raises) and
# drops trailing zeros (f(f(10)) == 1).
REVERSE = ("def f(x):\n    return int(str(x)[::-1])\n\n"
           "def pre_test_f(x):\n    # the bug is in negatives\n"
           "    if x > 10 ** 6:\n        raise ValueError('too big')\n"
           "    return isinstance(x, int) and not isinstance(x, bool)\n\n"
           "def test_f(x):\n    return f(f(x)) == x\n")


@pytest.fixture(scope="module")
def environment():
    return make_environment("fuzzing")


@pytest.fixture(scope="module")
def problem(environment, executor) -> Problem:
    result = validate(environment, environment.parse_teacher(teacher_text(REVERSE, witness="-12")), executor)
    assert isinstance(result, Problem), result
    return result


def test_witness_is_stored_but_never_shown(environment, problem):
    assert problem.extra["witness"] == "-12"
    text = environment.render_policy_prompt(problem)[-1].content
    assert "def test_f(x)" in text and "-12" not in text
    assert "the bug is in negatives" not in text  # comments are stripped from the shown code


@pytest.mark.parametrize("answer,expected", [
    ("```input\n-12\n```", 1),           # test_f raises: counts as failing
    ("```input\n10\n```", 1),            # test_f returns False
    ("```input\n123\n```", 0),           # test_f returns True
    ("```input\n'12'\n```", 0),          # pre_test_f returns False
    ("```input\n10000000\n```", 0),      # pre_test_f raises: counts as not holding
    ("```input\nTrue\n```", 0),
    ("```input\n__import__('os').getpid()\n```", 0),
])
def test_rewards(environment, problem, executor, answer, expected):
    assert reward(environment, problem, answer, executor).reward == expected


def test_mutating_precondition_cannot_change_what_the_test_sees(environment, executor):
    code = ("def f(xs):\n    return xs[0]\n\n"
            "def pre_test_f(xs):\n    ok = isinstance(xs, list)\n    xs.append(1)\n    return ok\n\n"
            "def test_f(xs):\n    return f(xs) is not None\n")
    problem = validate(environment, environment.parse_teacher(teacher_text(code, witness="[]")), executor)
    assert isinstance(problem, Problem), problem  # on a fresh copy f([]) raises in test_f; on [1] it would pass
    assert reward(environment, problem, "```input\n[]\n```", executor).reward == 1
    assert reward(environment, problem, "```input\n[5]\n```", executor).reward == 0


@pytest.mark.parametrize("witness,reason", [
    ("123", Reason.WITNESS_INVALID),           # test_f passes
    ("'12'", Reason.WITNESS_INVALID),          # precondition false
    ("10000000", Reason.WITNESS_INVALID),      # precondition raises
])
def test_witnesses_that_do_not_break_the_test_are_rejected(environment, executor, witness, reason):
    result = validate(environment, environment.parse_teacher(teacher_text(REVERSE, witness=witness)), executor)
    assert isinstance(result, Rejection) and result.reason == reason, result


def test_slow_test_f_is_a_timeout_not_a_witness(environment, executor):
    code = REVERSE.replace("    return f(f(x)) == x\n", "    while True:\n        pass\n")
    result = validate(environment, environment.parse_teacher(teacher_text(code, witness="-12")), executor)
    assert isinstance(result, Rejection) and result.reason == Reason.TIMEOUT, result


def test_missing_witness_and_functions_are_named(environment):
    assert environment.parse_teacher(teacher_text(REVERSE)).reason == Reason.NO_WITNESS
    without_test = REVERSE.split("def test_f")[0]
    rejection = environment.parse_teacher(teacher_text(without_test, witness="-12"))
    assert rejection.reason == Reason.MISSING_FUNCTION and "test_f" in rejection.diagnostic


def test_extra_input_blocks_are_ignored_beside_the_witness(environment):
    text = teacher_text(REVERSE, inputs=["not a literal at all"], witness="-12")
    instance = environment.parse_teacher(text)
    assert instance.witness == (-12,) and instance.inputs == ()
