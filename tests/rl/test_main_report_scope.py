"""The main report's closing paragraph follows the run's intervals."""
from rl.main_report import scope_text


def _change(mean, low, high, problems=6):
    return {"problems": problems, "before": 0.5, "after": 0.5 + mean, "excludes_zero": low > 0 or high < 0,
            "change": {"mean": mean, "low": low, "high": high, "confidence": 0.95}}


def test_a_gain_that_excludes_zero_is_named_and_bounded():
    text = scope_text({"training": _change(0.44, 0.25, 0.62), "held_out": _change(0.2, 0.0, 0.5)})
    assert "training synthetic problems excludes zero" in text and "held-out synthetic" not in text
    assert "check of the machinery, not as a result" not in text


def test_no_interval_excluding_zero_reads_as_a_check_of_the_machinery():
    text = scope_text({"training": _change(0.27, -0.02, 0.56), "held_out": _change(0.0, -0.12, 0.25)})
    assert "No interval above excludes zero" in text and "check of the machinery" in text


def test_a_measured_loss_is_called_a_loss():
    text = scope_text({"training": _change(-0.46, -0.87, -0.1), "held_out": _change(-0.25, -0.37, -0.12)})
    assert "training and held-out synthetic problems excludes zero with a loss" in text
    assert "got better" not in text
