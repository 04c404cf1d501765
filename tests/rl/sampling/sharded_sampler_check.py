"""Run as a subprocess with 8 simulated CPU devices (XLA_FLAGS is set before jax starts):
the sampler on a (data=2, fsdp=2, tensor=2) mesh, with the parameters sharded as the train
step shards them, must give a single device's tokens, log-probs and finish reasons: greedy
and sampled rows, repeated prompts (shared prefill), a stop string, constrained rows. Prints
the comparison and the placements as JSON."""
import os

os.environ["XLA_FLAGS"] = os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=8"

import json  # noqa: E402
import tempfile  # noqa: E402

import jax  # noqa: E402
import numpy as np  # noqa: E402
from flax import nnx  # noqa: E402

from rl import sharding  # noqa: E402
from rl.sampling import sampler as sampler_module  # noqa: E402
from rl.sampling.sampler import Sampler  # noqa: E402
from rl.sampling.token_automaton import ConstraintVocabulary, compile_regex  # noqa: E402
from tests.fixtures.byte_tokenizer import byte_tokenizer  # noqa: E402
from tests.fixtures.tiny_model import TINY_VOCAB_SIZE, tiny_model  # noqa: E402


def calls(sampler, tokenizer, automata, stop_string):
    rng = np.random.RandomState(1)
    prompts = [rng.randint(1, TINY_VOCAB_SIZE, rng.randint(3, 40)).tolist() for _ in range(6)]
    repeated = [prompts[0]] * 4 + [prompts[1]] * 4          # 8 rows from 2 prompts: shared prefill
    return {
        "greedy": sampler.sample(prompts, max_new_tokens=12),
        "sampled": sampler.sample(prompts + prompts[:2], max_new_tokens=12, temperature=1.0, top_k=20,
                                  rng=jax.random.key(5)),
        "repeated": sampler.sample(repeated, max_new_tokens=10, temperature=0.8, rng=jax.random.key(6)),
        "stop_string": sampler.sample([[5, 6, 7]] + prompts[:3], max_new_tokens=16, temperature=1.0, stop_strings=(stop_string,),
                                      detokenize=tokenizer.decode, rng=jax.random.key(7)),
        "constrained": sampler.sample(prompts[:3] + prompts[:1], max_new_tokens=16, temperature=1.0,
                                      stop_token_ids=tokenizer.stop_token_ids, rng=jax.random.key(8),
                                      constraints=[automata[0], None, automata[1], automata[0]]),
    }


if __name__ == "__main__":
    assert len(jax.devices()) == 8, jax.devices()
    tokenizer = byte_tokenizer()
    vocabulary = ConstraintVocabulary.of(tokenizer, TINY_VOCAB_SIZE)
    with tempfile.TemporaryDirectory() as cache:
        automata = [compile_regex(regex, vocabulary, cache_dir=cache) for regex in (r"(yes|no|maybe)", r"[0-9]{2,5}")]
    graphdef, state = nnx.split(tiny_model("qwen3", seed=4))
    # a stop string that the first sampled reply contains (random tiny models write odd bytes)
    probe = Sampler(graphdef, state).sample([[5, 6, 7]], max_new_tokens=12, temperature=1.0, rng=jax.random.key(7))
    stop_string = tokenizer.decode(probe.tokens[0])[4:6]
    single = calls(Sampler(graphdef, state), tokenizer, automata, stop_string)
    mesh = sharding.make_mesh(data=2, fsdp=2, tensor=2)
    placements = {}
    original_prefill = sampler_module._prefill

    def recording_prefill(*args, **kwargs):   # records where the prefill put the KV cache
        result = original_prefill(*args, **kwargs)
        placements.setdefault("cache_spec", [str(a) for a in result[0].cache.keys.sharding.spec])
        placements.setdefault("rows_spec", [str(a) for a in result[0].next_tokens.sharding.spec])
        return result

    sampler_module._prefill = recording_prefill
    sharded_state = sharding.shard_state(state, mesh)
    sharded = calls(Sampler(graphdef, sharded_state, mesh=mesh), tokenizer, automata, stop_string)
    report = {"placements": placements, "stop_text": stop_string,
              "q_proj_devices": len(sharded_state["layers"]["self_attn"]["q_proj"].get_value().sharding.device_set)}
    for name in single:
        a, b = single[name], sharded[name]
        report[name] = {
            "tokens_equal": a.tokens == b.tokens,
            "finish_equal": a.finish_reasons == b.finish_reasons,
            "log_prob_diff": max((abs(x - y) for la, lb in zip(a.log_probs, b.log_probs) for x, y in zip(la, lb)),
                                 default=0.0),
            "rows": len(a.tokens), "stops": a.finish_reasons.count("stop"),
        }
    print(json.dumps(report))
