import os

import numpy as np

from curriculum import plot
from curriculum.settings import CurriculumSettings


def test_plot_cli_writes_a_png(work_dir, capsys):
    out = os.path.join(work_dir, "soft.png")
    assert plot.main(["--schedule=soft", "--total_steps=40000", f"--out={out}"]) == 0
    with open(out, "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"


def test_plotted_weights_are_the_schedule_weights_at_phase_edges():
    steps, weights, names = plot.schedule_weights(CurriculumSettings(schedule="classic", total_steps=40_000))
    assert names == ("easy", "medium", "hard")
    by_step = dict(zip(steps.tolist(), weights))
    np.testing.assert_allclose(by_step[9_999], [1, 0, 0])
    np.testing.assert_allclose(by_step[10_000], [0.75, 0.25, 0])
    np.testing.assert_allclose(by_step[39_999], [0, 0, 1])


def test_plot_cli_reports_an_unknown_schedule(work_dir, capsys):
    assert plot.main(["--schedule=nope", f"--out={os.path.join(work_dir, 'x.png')}"]) == 2
    assert "known:" in capsys.readouterr().err
