"""The one request-level sampling type: read from a config section, turned into requests,
and checked with the ranges the device-side and JetStream forms share."""
import pytest

from configs.default import get_config
from configs.sections.eval import get_eval_config
from configs.sections.teacher import get_teacher_config
from rl.generation.sampling import Sampling
from rl.generation.types import Message
from rl.rollout import rollout_sampling


def test_a_teacher_section_reads_every_field():
    section = get_teacher_config()
    section.temperature, section.top_p, section.top_k, section.max_new_tokens = 0.7, 0.9, 20, 300
    section.reasoning_effort, section.response_prefix = "low", "```python\n"
    sampling = Sampling.from_config(section)
    assert sampling == Sampling(temperature=0.7, top_p=0.9, top_k=20, max_new_tokens=300, reasoning_effort="low",
                                response_prefix="```python\n", constrained=bool(section.constrained),
                                tail_tokens_per_block=int(section.tail_tokens_per_block))


def test_a_section_without_the_role_fields_keeps_their_defaults():
    sampling = Sampling.from_config(get_eval_config())
    assert (sampling.top_k, sampling.reasoning_effort, sampling.response_prefix, sampling.constrained) == \
        (0, "", "", False)


def test_request_carries_the_settings():
    sampling = Sampling(temperature=0.5, top_p=0.8, top_k=7, max_new_tokens=33, reasoning_effort="high",
                        response_prefix="x")
    request = sampling.request([Message("user", "hi")], n=3, seed=11, stop=("\n\n",))
    assert (request.n, request.seed, request.max_new_tokens, request.temperature, request.top_p, request.top_k,
            request.stop, request.response_prefix) == (3, 11, 33, 0.5, 0.8, 7, ("\n\n",), "x")
    assert request.extra == {"reasoning_effort": "high"}
    assert Sampling().request([Message("user", "hi")], n=1, seed=0).extra == {}


def test_the_rollouts_settings_are_a_sampling():
    config = get_config()
    sampling = rollout_sampling(config)
    assert (sampling.temperature, sampling.top_p, sampling.top_k, sampling.max_new_tokens) == (
        float(config.train.temperature), float(config.train.top_p), int(config.train.top_k),
        int(config.train.max_new_tokens))


@pytest.mark.parametrize("fields, message", [({"temperature": -0.1}, "temperature"), ({"top_p": 0.0}, "top_p"),
                                             ({"top_k": -1}, "top_k")])
def test_out_of_range_values_are_refused(fields, message):
    with pytest.raises(ValueError, match=message):
        Sampling(**fields)
