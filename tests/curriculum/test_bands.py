import pytest

from curriculum.bands import BROAD_BINS, CHAIN_BINS, LOOP_TARGET_BAND, band_family, custom_band_family


def test_lower_bound_inclusive_upper_exclusive():
    assert BROAD_BINS.bin_of(0.26) == "medium"
    assert BROAD_BINS.bin_of(0.61) == "easy_medium"   # 0.61 leaves medium, enters easy-medium
    assert BROAD_BINS.bin_of(0.97) is None             # top of the broad easy bin is exclusive
    assert BROAD_BINS.bin_of(0.0999) is None
    assert CHAIN_BINS.bin_of(0.81) == "easy" and CHAIN_BINS.bin_of(0.91) is None
    assert CHAIN_BINS.bin_of(0.6) is None              # between chain medium and easy
    assert LOOP_TARGET_BAND.bin_of(0.5) == "target" and LOOP_TARGET_BAND.bin_of(0.65) is None


def test_top_bin_includes_one_where_it_reaches_it():
    family = custom_band_family([0.0, 0.5, 1.0], ["hard", "easy"])
    assert family.bin_of(1.0) == "easy"
    assert family.bin_of(0.5) == "easy"
    assert family.bin_of(0.0) == "hard"
    assert family.bin_of(None) is None


def test_bad_bins_fail_with_the_family_named():
    with pytest.raises(ValueError, match="one more edge than names"):
        custom_band_family([0.0, 1.0], ["a", "b"])
    with pytest.raises(ValueError, match="must increase"):
        custom_band_family([0.5, 0.2, 1.0], ["a", "b"])
    with pytest.raises(ValueError, match="known: broad, chain, loop_target"):
        band_family("broader")
