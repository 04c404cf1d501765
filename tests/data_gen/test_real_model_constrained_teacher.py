"""The real Qwen2.5-Coder-0.5B-Instruct pack as a constrained teacher: every reply decoded
under the deduction skeleton that ends before the token limit has the frame the parser
needs (a python block defining f, one input block with one literal per parameter of f), so
what remains to reject is the task itself, never the format."""
import asyncio

import pytest

from data_gen.environments import make_environment
from data_gen.environments.base import Rejection, TeacherContext
from data_gen.environments.skeletons import generate_in_skeleton
from data_gen.records import RejectionReason
from data_gen.seeds import random_code_seeds
from rl.generation.sampling import Sampling
from rl.generation.in_process import InProcessGenerator

FORMAT_REASONS = {RejectionReason.NO_CODE, RejectionReason.NO_INPUTS, RejectionReason.MISSING_FUNCTION,
                  RejectionReason.TOO_FEW_INPUTS, RejectionReason.NO_MESSAGE}


@pytest.mark.real_model
def test_constrained_real_teacher_replies_have_the_frame():
    generator = InProcessGenerator.from_checkpoint("qwen2.5-coder-0.5b-instruct", dtype="bfloat16")
    environment = make_environment("deduction")
    sampling = Sampling(temperature=0.7, max_new_tokens=160)
    seeds = random_code_seeds(4, rng_seed=0, min_lines=25, max_lines=35)
    requests = [sampling.request(environment.render_teacher_prompt("seed", TeacherContext(seed_text=s.text)), 1, i)
                for i, s in enumerate(seeds)]

    async def all_replies():
        return await asyncio.gather(*(generate_in_skeleton(generator, r, environment.skeleton) for r in requests))

    completions = asyncio.run(all_replies())
    finished = [c for c in completions if c.finish_reason == "stop"]
    assert finished, [c.text[-200:] for c in completions]
    for completion in finished:
        assert completion.text.startswith("```python\n") and "\n```input\n" in completion.text
        outcome = environment.parse_teacher(completion.text)
        assert not (isinstance(outcome, Rejection) and outcome.reason in FORMAT_REASONS), (outcome, completion.text)
