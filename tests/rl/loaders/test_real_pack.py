"""The real Qwen2.5-Coder-0.5B-Instruct pack against transformers reading the same GGUF:
tokenizer and chat template, fp32 logits within 1e-3, an identical 32-token greedy
continuation, and a cached load under 10 s. Run under `flock /tmp/heavy.lock`."""
import time

import jax.numpy as jnp
import numpy as np
import pytest

from rl.generation.in_process import InProcessGenerator
from rl.loaders import load_checkpoint
from rl.loaders.model_packs import find_pack
from rl.loaders.pack_cache import pack_gguf_path
from rl.models import forward
from rl.models.hf_weights import model_from_hf_tensors
from rl.sampling.sampler import Sampler

pytestmark = pytest.mark.real_model

PACK = "qwen2.5-coder-0.5b-instruct"
PROMPTS = [
    [{"role": "user", "content": "Write a Python function is_palindrome(s) that ignores case."}],
    [{"role": "system", "content": "You are a terse assistant."},
     {"role": "user", "content": "def fib(n):\n    # complete this using iteration\n"}],
    [{"role": "user", "content": "Explain what `sorted(d.items(), key=lambda kv: -kv[1])` does, briefly."}],
]


@pytest.fixture(scope="module")
def ours():
    load_checkpoint(PACK)  # converts on the first run on a machine; timed below once cached
    started = time.perf_counter()
    loaded = load_checkpoint(PACK)
    load_seconds = time.perf_counter() - started
    return loaded, load_seconds


@pytest.fixture(scope="module")
def reference():
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf_path = pack_gguf_path(find_pack(PACK))
    tokenizer = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name,
                                                 dtype=torch.float32).eval()
    # transformers keeps the file's separately quantised output matrix; the pack ties the
    # head to the embeddings as the original model does, so tie the reference the same way.
    model.lm_head.weight = model.model.embed_tokens.weight
    return model, tokenizer


def test_cached_load_is_fast_and_has_the_published_size(ours):
    loaded, load_seconds = ours
    assert load_seconds < 10.0
    assert sum(value.size for value in loaded.tensors.values()) == 494_032_768
    assert loaded.config.num_layers == 24 and loaded.config.tie_word_embeddings


def test_tokenizer_and_chat_template_equal_transformers(ours, reference):
    tokenizer = ours[0].tokenizer
    _, reference_tokenizer = reference
    texts = [open(__file__).read(), "Ünïcödé, 中文, emoji 😀 and\ttabs\r\n  ", "<|im_start|>user<|im_end|><tool_call>"]
    for text in texts:
        assert tokenizer.encode(text) == reference_tokenizer.encode(text)
    for messages in PROMPTS:
        assert tokenizer.apply_chat_template(messages) == reference_tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True)


def test_logits_and_greedy_continuation_match_transformers(ours, reference):
    import torch

    loaded, _ = ours
    reference_model, _ = reference
    state_dict = reference_model.state_dict()
    np.testing.assert_array_equal(loaded.tensors["model.layers.3.self_attn.q_proj.weight"],
                                  state_dict["model.layers.3.self_attn.q_proj.weight"].numpy())
    model = model_from_hf_tensors(loaded.config, loaded.tensors)
    generator = InProcessGenerator(Sampler.from_model(model, pad_id=loaded.tokenizer.pad_token_id),
                                   loaded.tokenizer, max_context=loaded.config.max_position_embeddings)
    sampler = generator.sampler
    for messages in PROMPTS:
        prompt = loaded.tokenizer.encode_chat(messages)
        ours_logits = np.asarray(forward.logits(sampler.graphdef, sampler.state, jnp.asarray([prompt], jnp.int32)))
        with torch.no_grad():
            reference_logits = reference_model(torch.tensor([prompt])).logits.numpy()
        assert np.abs(ours_logits - reference_logits).max() < 1e-3

    prompt = loaded.tokenizer.encode_chat(PROMPTS[0])
    ours_tokens = sampler.sample([prompt], max_new_tokens=32, temperature=0.0,
                                 stop_token_ids=loaded.tokenizer.stop_token_ids).tokens[0]
    with torch.no_grad():
        reference_tokens = reference_model.generate(torch.tensor([prompt]), max_new_tokens=32, do_sample=False,
                                                    eos_token_id=list(loaded.tokenizer.stop_token_ids))
    assert len(ours_tokens) == 32
    assert ours_tokens == reference_tokens[0, len(prompt):].tolist()
