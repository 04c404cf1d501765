"""The student summary: pass rate, varied failure examples, token budget."""
from data_gen.summary import GradedAttempt, summarize


def test_summary_reports_pass_rate_and_distinct_failures_within_budget():
    attempts = ([GradedAttempt("def f(x):\n    return x * 2\n" * 40, True)] * 3
                + [GradedAttempt("def f(x): return x", False, "wrong_answer")] * 4
                + [GradedAttempt("def f(x) return", False, "syntax_error")])
    stats = summarize(attempts, token_budget=150)
    assert (stats.attempts, stats.passes) == (8, 3)
    assert "passed 3" in stats.summary and "0.38" in stats.summary
    assert "wrong_answer" in stats.summary and "syntax_error" in stats.summary
    assert len(stats.summary) <= 150 * 4


def test_summary_of_all_failures_has_no_passing_example():
    stats = summarize([GradedAttempt("x", False, "timeout")] * 8)
    assert stats.pass_rate == 0.0 and "Passing attempt" not in stats.summary
