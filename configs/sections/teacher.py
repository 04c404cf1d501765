"""The `teacher` and `student` sections: which text-generation backend writes problems
(teacher) and which attempts them (student), and how each is sampled and called.

Paper: teacher GPT-OSS-120B at high reasoning effort, student the same model at low
effort, served apart from the RL run (`backend="openai"` against vLLM/SGLang with
`reasoning_effort` passed through). Here the default is the offline 0.5B pack for both,
sampled in-process. Backends:
- `in_process`: the project's own KV-cache sampler, `model` is a pack name or a
  checkpoint directory;
- `jetstream`: a JetStream server started with `python -m data_gen.serve`,
  `address` is host:port and `model` names the same pack/checkpoint (for the tokenizer
  and chat template, which the client applies itself);
- `openai`: an OpenAI-compatible HTTP server, `address` is its root URL and `model` the
  served model name; the API key is read from the environment variable `api_key_env`.

Sampling fields are the defaults of the requests the pipeline makes: `temperature`,
`top_p`, `top_k` (0: off), `max_new_tokens`; `reasoning_effort` ("" to omit) is passed
through as an extra field. `response_prefix` (teacher only in practice; "" for none) is
text every reply is made to start with (`GenerationRequest.response_prefix`), e.g.
"```python\n" to start in the code block; the recorded transcript and the parser see prefix
+ completion. For the 0.5B pack it trades "no python block" for missing input and hint
blocks, no gain in valid instances (docs/RESULTS.md), so the default is none.
`constrained` (teacher) decodes every reply under its environment's output skeleton
(structured decoding: data_gen/environments/skeletons.py): the python block with the
required functions, then exactly the input blocks f's signature asks for and the message;
`tail_tokens_per_block` limits that second part to so many tokens for each of its blocks (0:
`max_new_tokens` for the whole tail): a deduction tail (one input block) gets 96 at the CPU
teacher's setting, an induction tail (five input blocks and the hint) 576.
M (student attempts per instance) lives in `data_gen`.
"""
from __future__ import annotations

import ml_collections

from configs.validation import at_least, one_of, require

BACKENDS = ("in_process", "jetstream", "openai")


def _backend_config(temperature: float, max_new_tokens: int) -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.backend = "in_process"               # one of BACKENDS
    config.model = "qwen2.5-coder-0.5b-instruct"
    config.dtype = ""                            # in_process: compute dtype ("" keeps the checkpoint's; "bfloat16")
    config.address = ""                          # jetstream: "127.0.0.1:9000"; openai: "http://127.0.0.1:8000"
    config.api_key_env = "OPENAI_API_KEY"        # openai only; unset variable: no Authorization header
    config.temperature = temperature
    config.top_p = 1.0
    config.top_k = 0
    config.max_new_tokens = max_new_tokens
    config.reasoning_effort = ""                 # paper: "high" (teacher) / "low" (student)
    config.response_prefix = ""                  # e.g. "```python\n": the reply starts in the code block
    config.constrained = False                   # teacher: decode replies under each environment's skeleton
    config.tail_tokens_per_block = 0             # constrained: the tail's limit per input/message block (0: max_new_tokens)
    config.timeout_s = 600.0                     # per remote call
    config.max_concurrency = 8                   # remote calls in flight per client
    config.constraint_field = "guided_regex"     # openai: the body field for a regex (vLLM; SGLang: "regex")
    config.retry = ml_collections.ConfigDict()
    config.retry.max_attempts = 5
    config.retry.initial_backoff_s = 1.0
    config.retry.max_backoff_s = 30.0
    return config


def get_teacher_config() -> ml_collections.ConfigDict:
    """The teacher: writes and refines problem instances."""
    return _backend_config(temperature=1.0, max_new_tokens=1024)


def get_cpu_teacher_config() -> ml_collections.ConfigDict:
    """The teacher measured best on a 2-core CPU (docs/RESULTS.md): the 0.5B pack in-process in
    bf16, held to each environment's skeleton, T=0.7, 256 tokens for the python block (valid
    ones took at most 161) and 96 for each input or message block. Use it with prompts v2 and
    10-20-line seed windows (`apply_cpu_teacher_settings`)."""
    config = get_teacher_config()
    config.backend = "in_process"
    config.dtype = "bfloat16"
    config.constrained = True
    config.temperature = 0.7
    config.max_new_tokens = 256
    config.tail_tokens_per_block = 96
    return config


def apply_cpu_teacher_settings(config: ml_collections.ConfigDict) -> None:
    """Sets a job config's teacher to `get_cpu_teacher_config()` with what it was measured with:
    prompts v2 and 10-20-line seed windows (on this CPU a teacher call's cost is mostly the
    prefill of its prompt, about 1 GFLOP a prompt token for the 0.5B model, and the seed is
    read again by the tail call and by later turns)."""
    config.teacher = get_cpu_teacher_config()
    config.environments.prompt_version = "v2"
    config.data_gen.seed_min_lines = 10
    config.data_gen.seed_max_lines = 20


def get_student_config() -> ml_collections.ConfigDict:
    """The student: attempts each instance M times to measure its pass rate."""
    return _backend_config(temperature=1.0, max_new_tokens=512)


def validate(section: ml_collections.ConfigDict, name: str = "teacher") -> None:
    """Also validates the `student` and the evaluated `policy` (same fields)."""
    one_of(f"{name}.backend", section.backend, BACKENDS)
    require(bool(section.model), f"{name}.model", section.model, "name the model (a pack, directory or served name)")
    if section.backend == "openai" or (section.backend == "jetstream" and name != "teacher"):
        require(bool(section.address), f"{name}.address", section.address,
                f"the {section.backend} backend needs the server's address")
    at_least(f"{name}.temperature", section.temperature, 0.0)
    require(0.0 < section.top_p <= 1.0, f"{name}.top_p", section.top_p, "out of range, it must be in (0, 1]")
    at_least(f"{name}.top_k", section.top_k, 0)
    at_least(f"{name}.max_new_tokens", section.max_new_tokens, 1)
    at_least(f"{name}.tail_tokens_per_block", section.get("tail_tokens_per_block", 0), 0)
    require(section.timeout_s > 0, f"{name}.timeout_s", section.timeout_s, "out of range, it must be > 0")
    at_least(f"{name}.max_concurrency", section.max_concurrency, 1)
    at_least(f"{name}.retry.max_attempts", section.retry.max_attempts, 1)
