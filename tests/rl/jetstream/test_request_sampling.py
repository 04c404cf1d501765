"""Sampling settings survive the trip through gRPC metadata; missing ones fall back."""
import pytest

from rl.jetstream.request_sampling import RequestSampling


def test_metadata_round_trip():
    sent = RequestSampling(temperature=0.7, top_p=0.9, top_k=40, seed=123, sample_index=5)
    metadata = sent.to_metadata()
    assert all(key == key.lower() and key.startswith("x-sampling-") for key, _ in metadata)
    assert RequestSampling.from_metadata(metadata + (("other", "1"),), RequestSampling()) == sent


def test_missing_fields_take_the_defaults():
    defaults = RequestSampling(temperature=0.0, top_p=0.5, seed=9)
    got = RequestSampling.from_metadata((("x-sampling-top-k", "3"),), defaults)
    assert got == RequestSampling(temperature=0.0, top_p=0.5, top_k=3, seed=9)
    assert RequestSampling.from_metadata(None, defaults) == defaults


@pytest.mark.parametrize("fields, message", [
    (dict(temperature=-1.0), "temperature"), (dict(top_p=0.0), "top_p"), (dict(top_k=-2), "top_k")])
def test_bad_settings_are_named(fields, message):
    with pytest.raises(ValueError, match=message):
        RequestSampling(**fields)
