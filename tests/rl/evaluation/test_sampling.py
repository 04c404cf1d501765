import pytest

from rl.evaluation.benchmark import EvalItem, chat
from rl.evaluation.sampling import EvalSampling, request_for, sample_answers
from rl.generation.sampling import Sampling

from tests.rl.evaluation.doubles import ScriptedGeneratorDouble

ITEMS = [EvalItem(problem_id=f"p{i}", messages=chat(None, f"question {i}")) for i in range(3)]


def test_one_sample_is_greedy_whatever_the_temperature():
    request = request_for(ITEMS[0], 0, EvalSampling(num_samples=1, sampling=Sampling(temperature=0.8, top_p=0.9)))
    assert (request.n, request.temperature, request.top_p) == (1, 0.0, 1.0)


def test_several_samples_use_the_temperature_and_distinct_seeds():
    settings = EvalSampling(num_samples=10, sampling=Sampling(temperature=0.6, top_p=0.95, max_new_tokens=64), seed=1)
    requests = [request_for(item, position, settings) for position, item in enumerate(ITEMS)]
    assert {(r.n, r.temperature, r.top_p, r.max_new_tokens) for r in requests} == {(10, 0.6, 0.95, 64)}
    assert len({r.seed for r in requests}) == 3
    other_seed = EvalSampling(num_samples=10, sampling=Sampling(temperature=0.6), seed=2)
    assert request_for(ITEMS[0], 0, other_seed).seed != requests[0].seed


def test_several_greedy_samples_are_refused_with_the_fix():
    with pytest.raises(ValueError, match="eval.temperature"):
        EvalSampling(num_samples=4, sampling=Sampling(temperature=0.0))


def test_sample_answers_keeps_order_and_counts():
    generator = ScriptedGeneratorDouble(lambda text, index: f"{text}#{index}")
    completions = sample_answers(generator, ITEMS, 0, EvalSampling(num_samples=2, sampling=Sampling(temperature=1.0)))
    answers = [[completion.text for completion in item] for item in completions]
    assert answers == [["question 0#0", "question 0#1"], ["question 1#0", "question 1#1"],
                       ["question 2#0", "question 2#1"]]


def test_an_items_stop_strings_reach_its_request():
    item = EvalItem(problem_id="p", messages=chat(None, "q"), stop=("\n```\n",))
    assert request_for(item, 0, EvalSampling()).stop == ("\n```\n",)
    assert request_for(ITEMS[0], 0, EvalSampling()).stop == ()
