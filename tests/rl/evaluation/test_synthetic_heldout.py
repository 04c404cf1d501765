"""The synthetic held-out benchmark: problems made by the environments' own validation,
written as data_gen shards, split by family as the curriculum splits them, prompted and
rewarded per environment."""
import re

import ml_collections
import pytest

from curriculum.catalog import Catalog
from curriculum.shard_files import read_shard_texts
from curriculum.splits import split_ids_by_family
from data_gen.environments import ProblemProvenance, make_environment, validate
from rl.evaluation.benchmark import GradingResources
from rl.evaluation.runner import ScoringSettings, run_benchmark
from rl.evaluation.sampling import EvalSampling
from rl.evaluation.suite import make_benchmark

from tests.rl.evaluation.doubles import ScriptedGeneratorDouble

MULTIPLIERS = (2, 3, 4, 5)


def _teacher_text(multiplier: int) -> str:
    inputs = "".join(f"```input\n{x}\n```\n" for x in (1, 2, 5, 7, 10))
    return (f"```python\ndef f(x):\n    return x * {multiplier} + 1\n```\n{inputs}"
            f"```message\nMultiply by {multiplier} and add one.\n```\n")



@pytest.fixture(scope="module")
def shard(sandbox, tmp_path_factory):
    path = tmp_path_factory.mktemp("dataset") / "problems-00000.jsonl"
    with open(path, "w") as file:
        for environment_name in ("induction", "deduction"):
            environment = make_environment(environment_name)
            for multiplier in MULTIPLIERS:
                instance = environment.parse_teacher(_teacher_text(multiplier))
                provenance = ProblemProvenance(family_id=f"{environment_name}-{multiplier}")
                problem = validate(environment, instance, sandbox, provenance)
                assert problem.environment == environment_name, problem
                file.write(problem.to_json() + "\n")
    return str(path)


def _benchmark(shard_path, sandbox, **overrides):
    config = ml_collections.ConfigDict({"data_files": (shard_path,), "held_out_fraction": 0.5, "split_seed": 7,
                                        "environments": (), "limit": 0})
    config.update(overrides)
    return make_benchmark("synthetic", config, GradingResources(sandbox=sandbox))


def _right_answer(text: str, index: int) -> str:
    hint = re.search(r"Multiply by (\d+)", text)
    if hint:  # induction: write f
        return f"```python\ndef f(x):\n    return x * {hint.group(1)} + 1\n```"
    multiplier = int(re.search(r"x \* (\d+) \+ 1", text).group(1))
    argument = int(re.search(r"`f\((\d+)\)`", text).group(1))
    return f"It computes {argument} * {multiplier} + 1.\n```output\n{argument * multiplier + 1}\n```"


def _overfit_answer(text: str, index: int) -> str:
    """Induction: a lookup table of the visible examples (fails the hidden inputs).
    Deduction: off by one."""
    pairs = re.findall(r"f\((\d+)\) == (\d+)", text)
    if pairs:
        table = ", ".join(f"{x}: {y}" for x, y in pairs)
        return f"```python\ndef f(x):\n    return {{{table}}}[x]\n```"
    right = int(re.search(r"```output\n(\d+)", _right_answer(text, index)).group(1))
    return f"```output\n{right + 1}\n```"


def test_held_out_problems_are_the_curriculum_held_out_families(shard, sandbox):
    benchmark = _benchmark(shard, sandbox)
    catalog = Catalog.from_texts(read_shard_texts([shard]))
    expected = split_ids_by_family(catalog, 0.5, 7)
    assert sorted(item.problem_id for item in benchmark.items()) == sorted(expected["held_out"])
    assert len(expected["held_out"]) == 4 and not set(expected["held_out"]) & set(expected["train"])


def test_environment_filter_and_validation(shard, sandbox):
    items = _benchmark(shard, sandbox, held_out_fraction=0.99, environments=("deduction",)).items()
    assert items and {item.splits for item in items} == {("all", "deduction")}
    with pytest.raises(ValueError, match="eval.synthetic.environments"):
        _benchmark(shard, sandbox, environments=("contest",))
    with pytest.raises(ValueError, match="eval.synthetic.data_files"):
        _benchmark(shard, sandbox, data_files=())


def test_rewards_are_the_environments_own(shard, sandbox):
    benchmark = _benchmark(shard, sandbox, held_out_fraction=0.99)   # every family held out
    right = run_benchmark(benchmark, ScriptedGeneratorDouble(_right_answer), EvalSampling(batch_size=8),
                          ScoringSettings(), show_progress=False)
    assert [score.num_problems for score in right.scores] == [8, 4, 4]
    assert all(score.pass_at[1].mean == 1.0 for score in right.scores), [o.reasons for o in right.outcomes]
    overfit = run_benchmark(benchmark, ScriptedGeneratorDouble(_overfit_answer), EvalSampling(batch_size=8),
                            ScoringSettings(), show_progress=False)
    assert all(score.pass_at[1].mean == 0.0 for score in overfit.scores), [o.reasons for o in overfit.outcomes]
