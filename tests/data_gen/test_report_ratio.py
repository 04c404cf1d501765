"""The yield ratio when an arm made no usable problem: 0/0 is undefined, not infinite."""
import math

from data_gen import output_layout, report
from data_gen.records import Attempt, Problem, StudentStats
from data_gen.shards import ReadStats

BAND = (0.01, 0.97)


def _arm(arm: str, passes_by_seed: dict) -> output_layout.ArmRecords:
    """One teacher call per seed (100 tokens); a problem with `passes` of 8 when not None."""
    attempts, problems = [], []
    for seed, passes in passes_by_seed.items():
        problem_id = None
        if passes is not None:
            problem_id = f"{arm}-{seed}"
            problems.append(Problem(id=problem_id, environment="deduction", provenance="test", statement="s",
                                    student=StudentStats(attempts=8, passes=passes)))
        attempts.append(Attempt(attempt_id=f"a-{arm}-{seed}", arm=arm, environment="deduction", seed_id=seed,
                                turn=1, turn_kind="seed", raw_text="t", problem_id=problem_id,
                                rejection_reason=None if problem_id else "no_code",
                                prompt_tokens=60, completion_tokens=40))
    return output_layout.ArmRecords(problems=problems, attempts=attempts, families=[], chains=[], stats=ReadStats())


def test_no_usable_problem_in_either_arm_gives_an_undefined_ratio():
    ratio = report.yield_ratio(_arm("multi_turn", {"s1": 8, "s2": None}), _arm("single_turn", {"s1": None, "s2": 0}),
                               BAND)
    assert ratio["seeds"] == 2 and ratio["ratio"] is None and ratio["ratio_ci95"] is None
    assert report.ratio_text(ratio).startswith("undefined")


def test_usable_only_in_the_multi_turn_arm_is_infinite_and_a_real_ratio_is_the_rate_quotient():
    only_multi = report.yield_ratio(_arm("multi_turn", {"s1": 4}), _arm("single_turn", {"s1": None}), BAND)
    assert math.isinf(only_multi["ratio"]) and report.ratio_text(only_multi).startswith("inf")
    both = report.yield_ratio(_arm("multi_turn", {"s1": 4, "s2": 3}), _arm("single_turn", {"s1": 2, "s2": None}),
                              BAND)
    assert both["ratio"] == 2.0 and report.ratio_text(both) == "2.00x"
