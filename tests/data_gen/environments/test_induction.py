"""Induction: validation in the sandbox, the policy prompt, and rewards on right, wrong
and hostile answers."""
import pytest

from data_gen.environments import GradingItem, grade, make_environment, reward, validate
from data_gen.environments.base import Rejection
from data_gen.records import Problem, RejectionReason as Reason

from tests.data_gen.environments.teacher_texts import teacher_text

SORT_BY_LAST_DIGIT = "def f(xs):\n    return sorted(xs, key=lambda v: (v % 10, v))\n"
INPUTS = ("[12, 3, 41]", "[]", "[9, 19, 8]", "[100, 7, 77, 70]", "[5]", "[21, 11, 1]")


def reference_f(xs):
    return sorted(xs, key=lambda v: (v % 10, v))


@pytest.fixture(scope="module")
def environment():
    from configs.sections.environments import get_environments_config
    config = get_environments_config()  # short per-call limits keep the timeout cases fast
    config.induction.validation_limits.wall_time_per_test_s = 0.5
    config.induction.reward_limits.wall_time_per_test_s = 0.5
    return make_environment("induction", config)


@pytest.fixture(scope="module")
def problem(environment, executor) -> Problem:
    instance = environment.parse_teacher(teacher_text(SORT_BY_LAST_DIGIT, INPUTS, "Order by a digit."))
    result = validate(environment, instance, executor)
    assert isinstance(result, Problem), result
    return result


def test_gold_outputs_come_from_running_f(problem):
    import ast
    expected = [repr(reference_f(ast.literal_eval(text))) for text in INPUTS]
    assert list(problem.outputs) == expected
    assert problem.statement == "Order by a digit."
    assert problem.num_visible == 3          # first half of 6, rounded up
    assert problem.teacher.prompt_version == "induction-v1"
    assert problem.environment == "induction" and problem.provenance == "synthetic"


def test_visible_count_rounds_up(environment):
    assert [environment.num_visible(n) for n in (5, 6, 7, 1)] == [3, 3, 4, 1]


def test_policy_prompt_shows_only_visible_pairs(environment, problem):
    text = environment.render_policy_prompt(problem)[-1].content
    assert "Order by a digit." in text
    assert all(f"f({arguments})" in text for arguments in problem.inputs[:3])
    assert all(f"f({arguments})" not in text for arguments in problem.inputs[3:])
    assert "sorted" not in text  # the teacher's code is never shown


@pytest.mark.parametrize("answer,expected_reward", [
    (f"```python\n{SORT_BY_LAST_DIGIT}```", 1),
    ("```python\ndef f(xs):\n    return sorted(xs, key=lambda v: (str(v)[-1], v))\n```", 1),  # different, same outputs
    ("```python\ndef f(xs):\n    return sorted(xs)\n```", 0),
    ("It sorts the list by the last digit.", 0),                                  # prose: nothing to run
    ("```python\nimport os\nos._exit(0)\n```", 0),
    ("```python\nclass Liar(list):\n    def __eq__(self, other):\n        return True\n"
     "def f(xs):\n    return Liar()\n```", 0),
    ("```python\ndef f(xs):\n    while True:\n        pass\n```", 0),
])
def test_rewards(environment, problem, executor, answer, expected_reward):
    assert reward(environment, problem, answer, executor).reward == expected_reward


def test_right_on_visible_but_wrong_on_hidden_gets_zero(environment, problem, executor):
    table = {arguments: output for arguments, output in zip(problem.inputs[:3], problem.outputs[:3])}
    memorised = ("import ast\nTABLE = " + repr(table) + "\n"
                 "def f(xs):\n    return ast.literal_eval(TABLE.get(repr(xs), '[]'))\n")
    result = reward(environment, problem, f"```python\n{memorised}```", executor)
    assert result.reward == 0 and result.reason.startswith("wrong_answer")


@pytest.mark.parametrize("code,inputs,reason", [
    ("def f(x):\n    return x * 2\n", ("1", "2", "3"), Reason.TOO_FEW_INPUTS),
    ("def f(x):\n    return 7\n", ("1", "2", "3", "4", "5"), Reason.CONSTANT_OUTPUTS),
    ("def f(x):\n    return x\n", ("1", "2", "3", "4", "5"), Reason.TRIVIAL),
    ("def f(a, b):\n    return (a, b)\n", ("1, 2", "3, 4", "5, 6", "7, 8", "9, 0"), Reason.TRIVIAL),
    ("import random\ndef f(x):\n    return x + random.random()\n", ("1", "2", "3", "4", "5"), Reason.NONDETERMINISTIC),
    ("seen = []\ndef f(x):\n    seen.append(x)\n    return len(seen)\n", ("1", "2", "3", "4", "5"),
     Reason.NONDETERMINISTIC),
    ("def f(x):\n    while True:\n        pass\n", ("1", "2", "3", "4", "5"), Reason.TIMEOUT),
    ("def f(x):\n    return 10 // (x - 3)\n", ("1", "2", "3", "4", "5"), Reason.RUNTIME_ERROR),
    ("def f(x):\n    return object()\n", ("1", "2", "3", "4", "5"), Reason.NON_PLAIN_OUTPUT),
])
def test_invalid_instances_are_rejected_with_their_reason(environment, executor, code, inputs, reason):
    parsed = environment.parse_teacher(teacher_text(code, inputs, "A hint."))
    result = parsed if isinstance(parsed, Rejection) else validate(environment, parsed, executor)
    assert isinstance(result, Rejection)
    assert result.reason == reason, result


def test_message_that_leaks_the_code_is_rejected(environment):
    text = teacher_text(SORT_BY_LAST_DIGIT, INPUTS, "return sorted(xs, key=lambda v: (v % 10, v))")
    assert environment.parse_teacher(text).reason == Reason.MESSAGE_LEAKS_CODE


def test_batch_grading_keeps_order(environment, problem, executor):
    answers = [f"```python\n{SORT_BY_LAST_DIGIT}```", "no code", "```python\ndef f(xs):\n    return xs\n```"] * 3
    results = grade([GradingItem(environment, problem, text) for text in answers], executor)
    assert [r.reward for r in results] == [1, 0, 0] * 3
