"""The in-process text generator over a tiny random model and the byte tokenizer: prompts go
through the chat template, n samples with seeds that do not depend on batching, stop strings,
token counts, finish reasons and log-probs that equal a forward pass's."""
import asyncio

import jax.numpy as jnp
import numpy as np
import pytest

from rl.generation.in_process import InProcessGenerator
from rl.generation.types import GenerationRequest, Message, TextGenerator
from rl.models import forward
from rl.sampling.sampler import Sampler
from tests.fixtures.byte_tokenizer import BYTE_VOCAB_SIZE, byte_tokenizer
from tests.fixtures.tiny_model import tiny_model

NEW_TOKENS = 8  # one value throughout, so the sampler compiles once per batch bucket


@pytest.fixture(scope="module")
def generator():
    tokenizer = byte_tokenizer()
    model = tiny_model("qwen2", seed=0, vocab_size=BYTE_VOCAB_SIZE)
    return InProcessGenerator(Sampler.from_model(model, pad_id=tokenizer.pad_token_id), tokenizer,
                              model_name="tiny", max_context=512)


def _chat(text, **kwargs):
    return GenerationRequest(messages=(Message("user", text),), max_new_tokens=NEW_TOKENS, **kwargs)


def test_it_is_a_text_generator_and_counts_tokens(generator):
    assert isinstance(generator, TextGenerator)
    results = generator.generate([_chat("hello", n=2, temperature=1.0, seed=1),
                                  GenerationRequest(prompt="raw text", max_new_tokens=NEW_TOKENS, temperature=0.0)])
    assert [len(result.completions) for result in results] == [2, 1]
    chat_prompt = generator.tokenizer.encode_chat([{"role": "user", "content": "hello"}])
    assert chat_prompt[0] == generator.tokenizer.backend.token_to_id("<|im_start|>")
    for completion in results[0].completions:
        assert completion.prompt_tokens == len(chat_prompt)
        assert completion.completion_tokens == len(completion.token_ids) == len(completion.logprobs)
        assert completion.finish_reason in ("stop", "length")
        if completion.finish_reason == "length":
            assert completion.completion_tokens == NEW_TOKENS
    assert results[1].completions[0].prompt_tokens == len("raw text")
    assert results[0].model == "tiny"
    assert len({result.token_ids for result in results[0].completions}) == 2  # n samples differ


def test_a_request_gives_the_same_completions_alone_and_batched(generator):
    request = _chat("same alone", temperature=1.0, seed=7)
    alone = generator.generate([request])[0]
    batched = generator.generate([_chat("a different prompt", temperature=1.0, seed=2), request])[1]
    # Same tokens and text; log-probs to float rounding (a batch of 2 runs other matmul kernels).
    for one, other in zip(alone.completions, batched.completions):
        assert (one.text, one.token_ids, one.finish_reason) == (other.text, other.token_ids, other.finish_reason)
        np.testing.assert_allclose(one.logprobs, other.logprobs, atol=1e-5)
    assert generator.generate([_chat("same alone", temperature=1.0, seed=8)])[0] != alone


def test_greedy_first_token_is_the_forward_pass_argmax_and_logprobs_match(generator):
    request = _chat("check me", temperature=0.7, seed=3)
    completion = generator.generate([request])[0].completions[0]
    prompt = generator.prompt_ids(request)
    sequence = jnp.asarray([prompt + list(completion.token_ids)], jnp.int32)
    logits = np.asarray(forward.logits(generator.sampler.graphdef, generator.sampler.state, sequence)[0])
    scaled = logits / 0.7
    log_softmax = scaled - np.log(np.exp(scaled - scaled.max(-1, keepdims=True)).sum(-1, keepdims=True)) \
        - scaled.max(-1, keepdims=True)
    positions = np.arange(len(prompt) - 1, sequence.shape[1] - 1)
    expected = log_softmax[positions, np.asarray(completion.token_ids)]
    np.testing.assert_allclose(completion.logprobs, expected, atol=1e-4)

    greedy = generator.generate([_chat("check me", temperature=0.0)])[0].completions[0]
    assert greedy.token_ids[0] == int(np.argmax(logits[len(prompt) - 1]))


def test_stop_strings_cut_the_text_before_the_string(generator):
    # A random model's greedy text is arbitrary bytes: take as stop string a character of
    # it that is not a replacement character (which partial UTF-8 sequences also decode to).
    for prompt in ("stop test", "another prompt", "third try"):
        free = generator.generate([_chat(prompt, temperature=0.0)])[0].completions[0]
        usable = [ch for ch in free.text if ch != "\ufffd"]
        if usable:
            break
    assert usable, f"greedy texts have no usable stop character; last: {free.text!r}"
    stop = usable[-1]
    stopped = generator.generate([_chat(prompt, temperature=0.0, stop=(stop,))])[0].completions[0]
    assert stopped.finish_reason == "stop"
    assert stopped.text == free.text[: free.text.find(stop)]
    assert stopped.token_ids == free.token_ids[: len(stopped.token_ids)]
    assert stop in generator.tokenizer.decode(stopped.token_ids)
    assert stop not in generator.tokenizer.decode(stopped.token_ids[:-1])


def test_async_twin_gives_the_same_results(generator):
    requests = [_chat("async", temperature=1.0, seed=5)]
    assert asyncio.run(generator.agenerate(requests)) == generator.generate(requests)


def test_a_request_longer_than_the_context_is_refused_with_the_fix(generator):
    with pytest.raises(ValueError, match="exceed the model's context of 512 tokens; shorten the prompt"):
        generator.generate([GenerationRequest(prompt="x" * 600, max_new_tokens=NEW_TOKENS)])


def test_a_response_prefix_is_appended_after_the_generation_prompt(generator):
    plain, prefixed = _chat("write code", temperature=0.0), _chat("write code", temperature=0.0,
                                                                   response_prefix="```python\n")
    prefix_ids = generator.tokenizer.encode("```python\n", add_special_tokens=False)
    assert generator.prompt_ids(prefixed) == generator.prompt_ids(plain) + prefix_ids
    completion = generator.generate([prefixed])[0].completions[0]
    assert completion.prompt_tokens == len(generator.prompt_ids(plain)) + len(prefix_ids)
    with pytest.raises(ValueError, match="chat requests"):
        GenerationRequest(prompt="raw", response_prefix="```python\n")


def test_callers_arriving_a_moment_apart_share_one_batch(generator, monkeypatch):
    batches = []
    real_generate = generator.generate

    def recording_generate(requests):
        batches.append(len(requests))
        return real_generate(requests)

    monkeypatch.setattr(generator, "generate", recording_generate)

    async def caller(index):
        await asyncio.sleep(0.05 * index)   # the way families woken by one finished batch arrive
        return await generator.agenerate([_chat(f"caller {index}", temperature=1.0, seed=index)])

    async def run_all():
        return await asyncio.gather(*(caller(index) for index in range(5)))

    results = asyncio.run(run_all())
    assert batches == [5]
    assert [result[0] for result in results] == real_generate(
        [_chat(f"caller {index}", temperature=1.0, seed=index) for index in range(5)])


def test_without_a_wait_the_first_caller_runs_alone(monkeypatch):
    tokenizer = byte_tokenizer()
    model = tiny_model("qwen2", seed=0, vocab_size=BYTE_VOCAB_SIZE)
    eager = InProcessGenerator(Sampler.from_model(model, pad_id=tokenizer.pad_token_id), tokenizer,
                               max_context=512, batch_quiet_s=0.0, batch_wait_s=0.0)
    batches = []
    real_generate = eager.generate
    monkeypatch.setattr(eager, "generate", lambda requests: batches.append(len(requests)) or real_generate(requests))

    async def caller(index):
        await asyncio.sleep(0.05 * index)
        return await eager.agenerate([_chat(f"caller {index}", seed=index)])

    async def run_all():
        return await asyncio.gather(*(caller(index) for index in range(3)))

    asyncio.run(run_all())
    assert batches[0] == 1 and sum(batches) == 3
