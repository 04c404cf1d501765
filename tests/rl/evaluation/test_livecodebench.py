"""LiveCodeBench-format sample (data/livecodebench_sample.jsonl, written for these tests):
stdin and function-call problems, zlib/base64-compressed private tests, the date window
and the difficulty split filter, graded in the sandbox through the contest environment."""
import os

import ml_collections
import pytest

from rl.evaluation.benchmark import GradingResources
from rl.evaluation.runner import ScoringSettings, run_benchmark
from rl.evaluation.sampling import EvalSampling
from rl.generation.sampling import Sampling
from rl.evaluation.suite import make_benchmark

from tests.rl.evaluation.doubles import ScriptedGeneratorDouble

SAMPLE = os.path.join(os.path.dirname(__file__), "data", "livecodebench_sample.jsonl")

RIGHT = {
    "Print their sum": "```python\nn = int(input())\nprint(sum(map(int, input().split())))\n```",
    "longest contiguous run": ("Use a running counter.\n```python\nclass Solution:\n"
                               "    def longestRun(self, nums: List[int], target: int) -> int:\n"
                               "        best = run = 0\n        for x in nums:\n"
                               "            run = run + 1 if x == target else 0\n"
                               "            best = max(best, run)\n        return best\n```"),
    "words in reverse order": "```python\ndef reverseWords(s):\n    return ' '.join(reversed(s.split(' ')))\n```",
    "x squared": "```python\nx = int(input())\nprint(x * x)\n```",
    "a*b": "```python\na, b = map(int, input().split())\nprint(a * b)\n```",
}
# Each passes its problem's public test but fails a private one.
PUBLIC_ONLY = {
    "Print their sum": "```python\nprint(6)\n```",
    "longest contiguous run": ("```python\nclass Solution:\n    def longestRun(self, nums, target):\n"
                               "        return nums.count(target)\n```"),
    "words in reverse order": "```python\ndef reverseWords(s):\n    return 'c b a'\n```",
}


def _benchmark(sandbox=None, **overrides):
    config = ml_collections.ConfigDict({"path": SAMPLE, "start_date": "2024-08-01", "end_date": "2025-05-31",
                                        "difficulties": (), "limit": 0})
    config.update(overrides)
    return make_benchmark("livecodebench", config, GradingResources(sandbox=sandbox or object()))


def _scripted(answers):
    return ScriptedGeneratorDouble(lambda text, index: next(a for key, a in answers.items() if key in text))


def test_date_window_keeps_only_problems_inside_it():
    ids = [item.problem_id for item in _benchmark().items()]
    titles = [item.messages[-1].content.split("\n")[0][:30] for item in _benchmark().items()]
    assert len(ids) == 3
    assert not any("x squared" in t or "a*b" in t for t in titles)
    assert len(_benchmark(start_date="", end_date="").items()) == 5
    assert len(_benchmark(start_date="2025-01-01", end_date="").items()) == 2


def test_difficulty_filter_and_splits():
    items = _benchmark(difficulties=("easy",)).items()
    assert [item.splits for item in items] == [("all", "easy", "atcoder"), ("all", "easy", "leetcode")]
    with pytest.raises(ValueError, match="eval.livecodebench.difficulties"):
        _benchmark(difficulties=("trivial",))


def test_function_call_prompt_shows_the_starter_code():
    function_item = next(i for i in _benchmark().items() if "longestRun" in i.messages[-1].content)
    assert "class Solution:" in function_item.messages[-1].content


def test_missing_path_names_the_field():
    with pytest.raises(ValueError, match="eval.livecodebench.path"):
        _benchmark(path="")



def test_right_answers_pass_stdin_and_function_call_problems(sandbox):
    result = run_benchmark(_benchmark(sandbox), _scripted(RIGHT), EvalSampling(),
                           ScoringSettings(), show_progress=False)
    assert [o.correct for o in result.outcomes] == [(True,)] * 3, [o.reasons for o in result.outcomes]
    scores = {score.split: score for score in result.scores}
    assert scores["all"].pass_at[1].mean == 1.0 and scores["medium"].num_problems == 1


def test_private_tests_decide(sandbox):
    result = run_benchmark(_benchmark(sandbox), _scripted(PUBLIC_ONLY), EvalSampling(),
                           ScoringSettings(), show_progress=False)
    assert [o.correct for o in result.outcomes] == [(False,)] * 3
    assert all(o.reasons[0].startswith("wrong_answer") for o in result.outcomes), \
        [o.reasons for o in result.outcomes]


def test_several_samples_give_pass_at_k(sandbox):
    def answer(text, index):  # sample 0 right, sample 1 public-only, for every problem
        table = RIGHT if index == 0 else PUBLIC_ONLY
        return next(a for key, a in table.items() if key in text)

    result = run_benchmark(_benchmark(sandbox), ScriptedGeneratorDouble(answer),
                           EvalSampling(num_samples=2, sampling=Sampling(temperature=1.0)),
                           ScoringSettings(k_values=(1, 2)),
                           show_progress=False)
    overall = result.scores[0]
    assert overall.pass_at[1].mean == pytest.approx(0.5) and overall.pass_at[2].mean == 1.0
