"""Contest problems: the LiveCodeBench-format and plain loaders, and grading stdin and
function-call problems right and wrong in the sandbox."""
import os

import pytest

from data_gen.environments import GradingItem, grade, make_environment
from data_gen.environments.contest_loader import from_plain, load_contest_problems, to_plain_record

DATA = os.path.join(os.path.dirname(__file__), "data")
LCB = os.path.join(DATA, "contest_livecodebench_sample.jsonl")
PLAIN = os.path.join(DATA, "contest_plain_sample.jsonl")

MAX_PAIR_RIGHT = "```python\nn = int(input())\nxs = sorted(map(int, input().split()))\nprint(xs[-1] + xs[-2])\n```"
MAX_PAIR_WRONG = "```python\nn = int(input())\nxs = list(map(int, input().split()))\nprint(2 * max(xs))\n```"
COUNT_PAIRS_RIGHT = ("```python\nclass Solution:\n    def countPairs(self, nums: List[int], k: int) -> int:\n"
                     "        return sum((a + b) % k == 0 for a, b in itertools.combinations(nums, 2))\n```")
COUNT_PAIRS_TOP_LEVEL = ("```python\ndef countPairs(nums, k):\n    return sum((nums[i] + nums[j]) % k == 0 "
                         "for i in range(len(nums)) for j in range(i + 1, len(nums)))\n```")
COUNT_PAIRS_WRONG = ("```python\nclass Solution:\n    def countPairs(self, nums, k):\n"
                     "        return sum((a + b) % k == 0 for a in nums for b in nums)\n```")


@pytest.fixture(scope="module")
def problems():
    return {p.extra["question_id"]: p for p in load_contest_problems(LCB).problems}


def test_livecodebench_loader_reads_both_test_types_and_compressed_private_tests(problems):
    stdin_problem, function_problem = problems["abc999_b"], problems["9999"]
    assert stdin_problem.test_mode == "stdio" and stdin_problem.inputs[1] == "2\n-1 -2\n"
    assert len(stdin_problem.inputs) == 3 and stdin_problem.num_visible == 1
    assert function_problem.test_mode == "function" and function_problem.entry_point == "countPairs"
    assert function_problem.inputs == ("[1, 2, 3, 4], 5", "[], 3", "[3, 3, 3], 3", "[2, 4, 6, 8], 2")
    assert function_problem.outputs == ("2", "0", "3", "6")
    assert all(p.provenance == "real" and p.environment == "contest" for p in problems.values())


def test_malformed_lines_are_counted_not_fatal():
    loaded = load_contest_problems(LCB)
    assert len(loaded.problems) == 3
    assert loaded.skipped == {"test cases are neither JSON nor compressed JSON": 1,  # a pickled global, refused
                              "not JSON": 1, "torn last line": 1}


def test_filters_by_difficulty_and_date():
    assert [p.extra["question_id"] for p in load_contest_problems(LCB, difficulties=("hard",)).problems] == ["abc100_c"]
    recent = load_contest_problems(LCB, start_date="2024-08-01", end_date="2025-05-31").problems
    assert sorted(p.extra["question_id"] for p in recent) == ["9999", "abc999_b"]
    assert len(load_contest_problems(LCB, limit=1).problems) == 1


def test_missing_file_names_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="point the config"):
        load_contest_problems(str(tmp_path / "absent.jsonl"))


def test_plain_format_round_trips():
    loaded = load_contest_problems(PLAIN)
    assert loaded.skipped == {"no tests": 1}
    for problem in loaded.problems:
        assert from_plain(to_plain_record(problem)) == problem


def test_policy_prompt_carries_statement_and_starter_code(problems):
    text = make_environment("contest").render_policy_prompt(problems["9999"])[-1].content
    assert "return the number of pairs" in text and "def countPairs(self" in text
    assert "standard input" in make_environment("contest").render_policy_prompt(problems["abc999_b"])[-1].content


def test_grading_right_and_wrong_stdin_and_function_answers(problems, executor):
    environment = make_environment("contest")
    plain = {p.id: p for p in load_contest_problems(PLAIN).problems}
    cases = [
        (problems["abc999_b"], MAX_PAIR_RIGHT, 1),
        (problems["abc999_b"], MAX_PAIR_WRONG, 0),       # passes the public test, fails a private one
        (problems["9999"], COUNT_PAIRS_RIGHT, 1),
        (problems["9999"], COUNT_PAIRS_TOP_LEVEL, 1),
        (problems["9999"], COUNT_PAIRS_WRONG, 0),
        (problems["9999"], "I would use two loops.", 0),
        (plain["plain-stdin-1"], "```python\nprint(input()[::-1])\n```", 1),
        (plain["plain-fn-1"], "```python\nimport math\ndef product(xs):\n    return math.prod(xs)\n```", 1),
        (plain["plain-fn-1"], "```python\ndef product(xs):\n    return sum(xs)\n```", 0),
    ]
    results = grade([GradingItem(environment, problem, answer) for problem, answer, _ in cases], executor)
    assert [r.reward for r in results] == [expected for _, _, expected in cases], results
