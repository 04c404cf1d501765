"""The dataset records round-trip through JSON, refuse other schema versions, and name
problems by content."""
import json

import pytest

from data_gen.records import (SCHEMA_VERSION, Attempt, Chain, Family, Problem, RejectionReason, StudentStats,
                              TeacherMeta, content_id)


def _problem() -> Problem:
    return Problem(id=content_id("induction", "def f(x): ...", "1"), environment="induction", provenance="synthetic",
                   statement="hint", inputs=("{1, 2}, (3,)", "{(1, 2): 'x'}"), outputs=("frozenset({1})", "None"),
                   num_visible=1, code="def f(*a):\n    return None\n", entry_point="f", family_id="fam",
                   parent_id="par", turn=2, relation="harder", seed_provenance="stdlib:x.py:1-30",
                   student=StudentStats(32, 12, "summary"), teacher=TeacherMeta("qwen", "induction-v1", 10, 20),
                   extra={"witness": "-12"})


def test_all_records_round_trip():
    problem = _problem()
    assert Problem.from_json(problem.to_json()) == problem
    attempt = Attempt("a1", "multi_turn", "induction", "seed1", 1, "harder", "raw", rejection_reason="no_message",
                      diagnostic="no block")
    assert Attempt.from_json(attempt.to_json()) == attempt
    family = Family("fam", "seed1", "stdlib", "induction", "multi_turn", ("a1", "a2"), ("p1", None))
    assert Family.from_json(family.to_json()) == family
    chain = Chain("c1", "fam", "h", "m", "e")
    assert Chain.from_json(chain.to_json()) == chain


def test_pass_rate_is_passes_over_attempts():
    assert _problem().pass_rate == pytest.approx(12 / 32)
    assert StudentStats(0, 0).pass_rate == 0.0


def test_other_schema_versions_are_refused_with_a_message():
    data = json.loads(_problem().to_json())
    data["schema_version"] = SCHEMA_VERSION + 1
    with pytest.raises(ValueError, match="schema_version"):
        Problem.from_json(json.dumps(data))


def test_content_id_depends_on_environment_and_every_part():
    base = content_id("induction", "code", "1")
    assert base == content_id("induction", "code", "1")
    assert len({base, content_id("deduction", "code", "1"), content_id("induction", "code", "2"),
                content_id("induction", "code1", "")}) == 4


def test_reason_codes_are_unique_strings():
    codes = RejectionReason.all()
    assert len(codes) == len(set(codes)) and "message_leaks_code" in codes
