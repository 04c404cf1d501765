import numpy as np
import pytest

from curriculum import phase_tables as pt


def test_paper_presets_switch_exactly_at_their_boundaries_at_paper_scale():
    total = 40_000
    assert pt.SOFT.weights(7_499, total).tolist() == [0.80, 0.15, 0.05]
    assert pt.SOFT.weights(7_500, total).tolist() == [0.15, 0.80, 0.05]
    assert pt.SOFT.weights(29_999, total).tolist() == [0.15, 0.40, 0.45]
    assert pt.SOFT.weights(30_000, total).tolist() == [0.05, 0.15, 0.80]
    assert pt.HARD.weights(17_500, total).tolist() == [0.05, 0.05, 0.90]
    assert pt.CLASSIC.weights(14_999, total).tolist() == [0.75, 0.25, 0]
    assert pt.CLASSIC.weights(15_000, total).tolist() == [0, 1, 0]
    assert pt.REVERSE_MEDIUM_START.weights(17_499, total).tolist() == [1.0, 0.0]
    assert pt.REVERSE_MEDIUM_START.weights(19_999, total).tolist() == [0.75, 0.25]
    assert pt.REVERSE_MEDIUM_START.weights(20_000, total).tolist() == [0.0, 1.0]


def test_presets_scale_to_the_run_length():
    assert pt.SOFT.boundaries(400) == [(0, 75), (75, 175), (175, 300), (300, 400)]
    assert pt.CLASSIC.phase_index(99, 1000) == 0 and pt.CLASSIC.phase_index(250, 1000) == 1
    assert pt.CLASSIC.phase_index(5000, 1000) == 4  # past the planned run: stays in the last phase


def test_reverse_mirrors_classic():
    for step in range(0, 40_000, 500):
        np.testing.assert_array_equal(pt.REVERSE.weights(step, 40_000), pt.CLASSIC.weights(step, 40_000)[::-1])


def test_phase_spec_parses_and_rejects_garbage():
    table = pt.parse_phase_spec("mix", ("real", "synthetic"), "0.5:real=0.8,synthetic=0.2;1.0:real=0.5,synthetic=0.5")
    assert table.weights(0, 10).tolist() == [0.8, 0.2] and table.weights(5, 10).tolist() == [0.5, 0.5]
    with pytest.raises(ValueError, match="cannot read phase 0"):
        pt.parse_phase_spec("mix", ("real",), "half:real=1")
    with pytest.raises(ValueError, match="unknown pools"):
        pt.parse_phase_spec("mix", ("real",), "1.0:synthetic=1")
    with pytest.raises(ValueError, match="must increase"):
        pt.parse_phase_spec("mix", ("real",), "0.5:real=1")
