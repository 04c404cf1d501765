"""Deduction and abduction: validation, prompts, and rewards on right, wrong and hostile
answers (an answer that is code, not a literal, gets 0 and runs nothing)."""
import pytest

from data_gen.environments import make_environment, reward, validate
from data_gen.environments.base import Rejection
from data_gen.records import Problem, RejectionReason as Reason

from tests.data_gen.environments.teacher_texts import teacher_text

ROTATE = "def f(xs, k):\n    k %= len(xs)\n    return xs[-k:] + xs[:-k]\n"


class RefusingExecutor:
    """Fails the test if anything is sent to the sandbox."""

    def run(self, jobs):
        raise AssertionError(f"nothing should run, got {len(jobs)} job(s)")


@pytest.fixture(scope="module")
def deduction_problem(executor) -> Problem:
    environment = make_environment("deduction")
    result = validate(environment, environment.parse_teacher(teacher_text(ROTATE, ["[1, 2, 3, 4, 5], 7"])), executor)
    assert isinstance(result, Problem), result
    return result


@pytest.fixture(scope="module")
def abduction_problem(executor) -> Problem:
    environment = make_environment("abduction")
    code = "def f(a, b):\n    return sorted(set(a) & set(b))\n"
    result = validate(environment, environment.parse_teacher(teacher_text(code, ["[1, 2, 3, 4], [3, 4, 5]"])),
                      executor)
    assert isinstance(result, Problem), result
    return result


def test_deduction_gold_output_is_computed(deduction_problem):
    xs, k = [1, 2, 3, 4, 5], 7 % 5
    assert deduction_problem.outputs == (repr(xs[-k:] + xs[:-k]),)
    assert deduction_problem.inputs == ("[1, 2, 3, 4, 5], 7",)


def test_deduction_prompt_shows_code_and_input_not_output(deduction_problem):
    text = make_environment("deduction").render_policy_prompt(deduction_problem)[-1].content
    assert "def f(xs, k)" in text and "f([1, 2, 3, 4, 5], 7)" in text
    assert deduction_problem.outputs[0] not in text


@pytest.mark.parametrize("answer,expected", [
    ("The list rotates by 2.\n```output\n[4, 5, 1, 2, 3]\n```", 1),
    ("<answer>(4, 5, 1, 2, 3)</answer>", 1),       # the one comparator: a tuple equals a list
    ("Answer: [4, 5, 1, 2, 3]", 1),
    ("```output\n[1, 2, 3, 4, 5]\n```", 0),
    ("```output\nf([1, 2, 3, 4, 5], 7)\n```", 0),  # code, not a literal
    ("```output\n__import__('os').system('touch /tmp/pwned')\n```", 0),
    ("", 0),
])
def test_deduction_rewards_without_the_sandbox(deduction_problem, answer, expected):
    result = reward(make_environment("deduction"), deduction_problem, answer, RefusingExecutor())
    assert result.reward == expected, result


def test_abduction_prompt_shows_output_not_input(abduction_problem):
    text = make_environment("abduction").render_policy_prompt(abduction_problem)[-1].content
    assert abduction_problem.outputs[0] in text
    assert "[1, 2, 3, 4], [3, 4, 5]" not in text


@pytest.mark.parametrize("answer,expected", [
    ("```input\n[1, 2, 3, 4], [3, 4, 5]\n```", 1),   # the teacher's own input
    ("```input\n[4, 3], [3, 4]\n```", 1),            # another input with the same output
    ("```input\nb=[3, 4], a=[4, 3, 9]\n```", 1),     # keywords, read against f's signature
    ("```input\n[1], [2]\n```", 0),
    ("```input\n[1, 2, 3]\n```", 0),                  # too few arguments: f raises
])
def test_abduction_rewards_run_f_in_the_sandbox(abduction_problem, executor, answer, expected):
    assert reward(make_environment("abduction"), abduction_problem, answer, executor).reward == expected


@pytest.mark.parametrize("answer", [
    "```input\n__import__('os').system('touch /tmp/pwned')\n```",
    "```input\n[x for x in range(3)], [1]\n```",
    "```python\ndef f(a, b):\n    return [3, 4]\n```",
])
def test_abduction_code_answers_get_zero_and_run_nothing(abduction_problem, answer):
    result = reward(make_environment("abduction"), abduction_problem, answer, RefusingExecutor())
    assert result.reward == 0 and "literal" in result.reason


def test_abduction_exact_match_option(abduction_problem):
    from configs.sections.environments import get_environments_config
    config = get_environments_config()
    config.abduction.exact_input_match = True
    environment = make_environment("abduction", config)
    assert reward(environment, abduction_problem, "```input\n[1, 2, 3, 4], [3, 4, 5]\n```", RefusingExecutor()).reward
    assert not reward(environment, abduction_problem, "```input\n[4, 3], [3, 4]\n```", RefusingExecutor()).reward


@pytest.mark.parametrize("name", ["deduction", "abduction"])
@pytest.mark.parametrize("code,reason", [
    ("def f(x):\n    return x\n", Reason.TRIVIAL),
    ("def f(x):\n    return [x] * 10 ** 10\n", Reason.RUNTIME_ERROR),
    ("import time\ndef f(x):\n    return time.perf_counter()\n", Reason.NONDETERMINISTIC),
    ("def f(x):\n    return lambda: x\n", Reason.NON_PLAIN_OUTPUT),
    ("def f(x):\n    import time\n    time.sleep(30)\n", Reason.TIMEOUT),
])
def test_invalid_instances_are_rejected(executor, name, code, reason):
    environment = make_environment(name)
    result = validate(environment, environment.parse_teacher(teacher_text(code, ["5"])), executor)
    assert isinstance(result, Rejection) and result.reason == reason, result


@pytest.mark.parametrize("name", ["deduction", "abduction"])
@pytest.mark.parametrize("code,valid", [
    ("def f(a, b):\n    return (a, b)\n", False),
    ("def f(a, b):\n    return [a, b]\n", False),
    ("def f(a, b):\n    return (b, a)\n", True),
    ("def f(a, b):\n    return a\n", True),
])
def test_an_f_that_hands_back_its_arguments_is_trivial(executor, name, code, valid):
    environment = make_environment(name)
    result = validate(environment, environment.parse_teacher(teacher_text(code, ["1, 2"])), executor)
    if valid:
        assert not isinstance(result, Rejection), result
    else:
        assert isinstance(result, Rejection) and result.reason == Reason.TRIVIAL, result
