"""What the reports show a user: the data report renders counts and tables, not Python
reprs (also when nothing was usable), and both the data report and an evaluation write
TensorBoard scalars that TensorBoard's own loader reads back."""
import glob
import re

import pytest
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

from data_gen import report as data_report
from rl.evaluation.report import write_report
from tests.data_gen.test_report_ratio import _arm
from tests.rl.evaluation.test_report import _result


def _scalars(directory):
    values = {}
    for path in glob.glob(f"{directory}/tensorboard/events.out.tfevents.*"):
        for event in EventFileLoader(path).Load():
            for value in event.summary.value:
                values[value.tag] = (event.step, value.simple_value if value.HasField("simple_value")
                                     else float(value.tensor.float_val[0]))
    return values


def _write_data_report(tmp_path, monkeypatch, multi, single):
    arms = {"multi_turn": _arm("multi_turn", multi), "single_turn": _arm("single_turn", single)}
    monkeypatch.setattr(data_report.output_layout, "read_arm", lambda _, arm: arms[arm])
    return data_report.write_report(str(tmp_path), (0.01, 0.97)), (tmp_path / "report.md").read_text()


def test_a_report_with_nothing_usable_shows_words_not_reprs(tmp_path, monkeypatch):
    _, text = _write_data_report(tmp_path, monkeypatch, {"s1": 8, "s2": None}, {"s1": None, "s2": 0})
    assert "usable: 0\n" in text
    assert "per usable problem: n/a (no usable problem)" in text
    for python_repr in ("{}", "None", "{'", "[]"):
        assert python_repr not in text, (python_repr, text)


def test_a_report_with_usable_problems_lists_counts_as_text(tmp_path, monkeypatch):
    _, text = _write_data_report(tmp_path, monkeypatch, {"s1": 4, "s2": 3}, {"s1": 2, "s2": None})
    assert re.search(r"usable: 2 \(deduction 2\)", text)
    assert "per usable problem: 100" in text                     # 200 tokens over 2 usable problems
    assert "| rejection reason | count | example diagnostic |" not in text.split("## single_turn")[0]
    assert "| no_code | 1 |" in text.split("## single_turn")[1]


def test_the_data_report_writes_tensorboard_scalars(tmp_path, monkeypatch):
    _write_data_report(tmp_path, monkeypatch, {"s1": 4, "s2": 3}, {"s1": 2, "s2": None})
    scalars = _scalars(tmp_path)
    assert scalars["data_gen/multi_turn/usable"] == (0, 2.0)
    assert scalars["data_gen/single_turn/usable"] == (0, 1.0)
    assert scalars["data_gen/yield_ratio"] == (0, 2.0)


def test_an_evaluation_writes_tensorboard_scalars(tmp_path):
    write_report([_result([(True, False), (False, False)])], str(tmp_path), {"label": "after", "step": 8})
    scalars = _scalars(tmp_path)
    step, value = scalars["eval/bench/all/pass@1"]
    assert step == 8 and value == pytest.approx(0.25)
