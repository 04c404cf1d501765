"""Details of reading: what of a teacher's python block is kept, dropped and renamed; policy answer shapes."""
import pytest

from data_gen.environments import make_environment, validate
from data_gen.environments.base import Instance
from data_gen.records import Problem

from tests.data_gen.environments.teacher_texts import teacher_text

INPUTS = ["0", "1", "5", "10", "12"]


def test_decorators_and_comments_are_kept_demo_statements_dropped():
    code = ("import functools; print('loaded')\n@functools.lru_cache(None)\ndef f(n):\n    # memoised\n"
            "    return n if n < 2 else f(n - 1) + f(n - 2)\nprint(f(3)); LIMIT = 2\n")
    instance = make_environment("induction").parse_teacher(teacher_text(code, INPUTS, "Sum of the two before."))
    assert isinstance(instance, Instance)
    assert "@functools.lru_cache(None)" in instance.code and "# memoised" in instance.code
    assert "LIMIT = 2" in instance.code and "print" not in instance.code


def test_a_lone_function_with_another_name_is_used_as_f(executor):
    environment = make_environment("induction")
    instance = environment.parse_teacher(teacher_text("def triple(n):\n    return 3 * n\n", INPUTS, "Scale."))
    problem = validate(environment, instance, executor)
    assert isinstance(problem, Problem) and problem.outputs == tuple(str(3 * int(i)) for i in INPUTS)


def test_two_functions_without_f_are_not_guessed():
    code = "def helper(n):\n    return n\n\ndef main(n):\n    return helper(n) + 1\n"
    rejection = make_environment("induction").parse_teacher(teacher_text(code, INPUTS, "Hint."))
    assert rejection.reason == "missing_function" and "f" in rejection.diagnostic


def test_policy_code_answer_skips_a_trailing_usage_example():
    from data_gen.environments.answers import extract_code
    text = ("Here is f:\n```python\ndef f(x):\n    return x + 1\n```\nUsage:\n```python\nprint(f(2))\n```\n"
            "<think>not this</think>")
    assert extract_code(text).value == "def f(x):\n    return x + 1\n"
    assert extract_code("```python\nprint(1)\n```").value == "print(1)\n"   # a stdin program defines nothing
    assert not extract_code("```python\ndef f(:\n```").ok


def test_inputs_from_usage_examples_when_no_input_block_exists():
    code = ("def f(xs):\n    return xs[::-1]\n\nprint(f([1, 2]))\nassert f([3]) == [3]\nresult = f('abc')\n"
            "for value in ([], [4, 5]):\n    print(f(value))\nprint(f(list(range(3))))\n")
    instance = make_environment("deduction").parse_teacher(teacher_text(code))
    assert instance.input_literals == ("[1, 2]",)   # deduction keeps the first
    induction_result = make_environment("induction").parse_teacher(teacher_text(code, message="Flip."))
    assert induction_result.reason == "too_few_inputs"   # 3 literal calls found, 5 needed


def test_example_call_arguments_bound_to_literals_by_name_are_inputs():
    code = ("def f(items, k):\n    return sorted(items)[:k]\n\n# Example\nitems = [7, 3, 10]\nk = 2\n"
            "result = f(items, k)\nprint(result)\nsize = len(items)\nprint(f(items, size))\n")
    instance = make_environment("deduction").parse_teacher(teacher_text(code))
    assert instance.input_literals == ("[7, 3, 10], 2",)
    assert "items = [7, 3, 10]" in instance.code and "result" not in instance.code
    rebound = code.replace("k = 2\n", "k = 2\nk = len(items)\n")    # k no longer names a literal
    assert make_environment("deduction").parse_teacher(teacher_text(rebound)).reason == "no_inputs"


@pytest.mark.parametrize("text", [
    "**Output:** [4, 5]", "The output is `[4, 5]`.", "The final answer is: [4, 5]", "### Answer\n```\n[4, 5]\n```",
    "<think>maybe [1]</think>[4, 5]",
])
def test_policy_literal_answers_in_common_shapes(text):
    from data_gen.environments.answers import extract_value
    assert extract_value(text).value == [4, 5]


def test_assignments_that_call_the_puzzle_are_dropped_constants_kept():
    code = ("import re\nPATTERN = re.compile('a+')\nLIMIT = 10 ** 3\n\n"
            "def f(s):\n    return len(PATTERN.findall(s))\n\nresult = f('aab')\n")
    instance = make_environment("deduction").parse_teacher(teacher_text(code, ["'caab'"]))
    assert "PATTERN = re.compile('a+')" in instance.code and "LIMIT" in instance.code
    assert "result" not in instance.code
