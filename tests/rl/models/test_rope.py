"""RoPE frequencies, including Llama 3's rescaling, against transformers' own initialisers."""
import numpy as np
import pytest
from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

from rl.models.rope import inverse_frequencies
from tests.fixtures.tiny_model import _hf_config, tiny_config


def test_llama3_scaling_matches_transformers_and_changes_low_frequencies():
    config = tiny_config("llama")
    ours = inverse_frequencies(config)
    reference, _ = ROPE_INIT_FUNCTIONS["llama3"](_hf_config("llama", {}), "cpu")
    np.testing.assert_allclose(ours, reference.numpy(), rtol=1e-6)
    unscaled = inverse_frequencies(config.replace(rope_scaling=None))
    assert ours[0] == pytest.approx(unscaled[0])          # short wavelengths kept
    assert ours[-1] == pytest.approx(unscaled[-1] / 8.0)  # long wavelengths slowed by the factor


def test_unknown_rope_type_is_named():
    config = tiny_config("llama").replace(rope_scaling={"rope_type": "yarn", "factor": 2.0})
    with pytest.raises(ValueError, match="yarn"):
        inverse_frequencies(config)
