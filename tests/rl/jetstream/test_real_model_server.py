"""The 0.5B pack served by a real JetStream server answers a simple coding request over
gRPC, and the answer passes its tests in the gVisor sandbox."""
import pytest

from rl.evaluation.code_extraction import extract_program
from rl.generation.factory import tokenizer_of
from rl.generation.jetstream_client import JetStreamClient
from rl.generation.types import GenerationRequest, Message
from sandbox.executor import SandboxExecutor
from sandbox.types import FunctionTest, Job
from tests.rl.jetstream.server_process import serve_in_subprocess

PACK = "qwen2.5-coder-0.5b-instruct"
REQUEST = ("Write a Python function `is_palindrome(s: str) -> bool` that returns True when s reads "
           "the same forwards and backwards. Answer with the code in one ```python block.")
TESTS = (FunctionTest(("racecar",), True), FunctionTest(("abca",), False), FunctionTest(("",), True),
         FunctionTest(("ab",), False), FunctionTest(("noon",), True))


@pytest.mark.real_model
def test_served_pack_answers_a_coding_request_that_passes_in_the_sandbox(tmp_path):
    overrides = [f"model={PACK}", "port=0", "slots=2", "max_prefill_length=128", "max_cache_length=384"]
    with serve_in_subprocess(overrides, tmp_path / "server.log", start_timeout_s=600) as address:
        client = JetStreamClient(address, tokenizer_of(PACK), model=PACK, timeout_s=600)
        [result] = client.generate([GenerationRequest(messages=(Message("user", REQUEST),),
                                                      max_new_tokens=200, temperature=0.0)])
        client.close()
    answer = result.completions[0]
    assert answer.completion_tokens > 0 and answer.finish_reason == "stop", answer
    program = extract_program(answer.text, entry_point="is_palindrome")
    with SandboxExecutor(workers=1) as executor:
        [verdict] = executor.run([Job(mode="function", code=program, tests=TESTS, entry_point="is_palindrome")])
    assert verdict.status == "passed", (answer.text, verdict)
