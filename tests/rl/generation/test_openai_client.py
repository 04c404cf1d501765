"""The OpenAI-compatible client against a scripted HTTP server double on loopback."""
import asyncio
import socket

import pytest

from rl.generation.openai_client import OpenAICompatibleClient, apportion_tokens
from rl.generation.retrying import GenerationBackendError, RetryPolicy
from rl.generation.types import GenerationRequest, Message, TextGenerator
from tests.rl.generation.openai_server_double import OpenAIServerDouble

FAST_RETRY = RetryPolicy(max_attempts=3, initial_backoff_s=0.01, max_backoff_s=0.02)


@pytest.fixture
def server():
    double = OpenAIServerDouble()
    yield double
    double.close()


def chat(text, **fields):
    return GenerationRequest(messages=(Message("user", text),), **fields)


def test_chat_request_fields_and_extra_pass_through(server):
    client = OpenAICompatibleClient(server.url + "/v1", model="teacher", retry=FAST_RETRY)
    assert isinstance(client, TextGenerator)
    request = chat("write f", n=3, max_new_tokens=17, temperature=0.7, top_p=0.9, top_k=20,
                   stop=("```", "END"), seed=5, extra={"reasoning_effort": "low", "min_p": 0.1})
    [result] = client.generate([request])
    body = server.bodies[0]
    assert server.paths == ["/v1/chat/completions"]
    assert body["messages"] == [{"role": "user", "content": "write f"}]
    assert (body["n"], body["max_tokens"], body["temperature"], body["top_p"], body["top_k"],
            body["stop"], body["seed"]) == (3, 17, 0.7, 0.9, 20, ["```", "END"], 5)
    assert body["reasoning_effort"] == "low" and body["min_p"] == 0.1
    assert [c.text for c in result.completions] == ["write f#0", "write f#1", "write f#2"]
    assert [c.finish_reason for c in result.completions] == ["stop", "stop", "length"]
    assert sum(c.completion_tokens for c in result.completions) == 30
    assert all(c.prompt_tokens == 7 for c in result.completions)
    assert result.model == "teacher"


def test_a_response_prefix_is_sent_as_an_assistant_message_to_continue(server):
    client = OpenAICompatibleClient(server.url + "/v1", model="teacher", retry=FAST_RETRY)
    client.generate([chat("write f", response_prefix="```python\n")])
    body = server.bodies[0]
    assert body["messages"] == [{"role": "user", "content": "write f"},
                                {"role": "assistant", "content": "```python\n"}]
    assert body["continue_final_message"] is True and body["add_generation_prompt"] is False
    client.generate([chat("write g")])
    assert "continue_final_message" not in server.bodies[1] and len(server.bodies[1]["messages"]) == 1


def test_a_constraint_goes_in_the_structured_output_field(server):
    vllm = OpenAICompatibleClient(server.url, model="teacher", retry=FAST_RETRY)
    vllm.generate([chat("write f", constraint=r"```python\n[^`]*```")])
    assert server.bodies[0]["guided_regex"] == r"```python\n[^`]*```"
    sglang = OpenAICompatibleClient(server.url, model="teacher", retry=FAST_RETRY, constraint_field="regex")
    sglang.generate([chat("write f", constraint="(yes|no)"), chat("free")])
    by_text = {body["messages"][0]["content"]: body for body in server.bodies[1:]}   # calls run concurrently
    assert by_text["write f"]["regex"] == "(yes|no)" and "guided_regex" not in by_text["write f"]
    assert "regex" not in by_text["free"] and "guided_regex" not in by_text["free"]


def test_raw_prompt_uses_completions_endpoint_and_omits_unset_fields(server):
    client = OpenAICompatibleClient(server.url, model="m", retry=FAST_RETRY)
    [result] = client.generate([GenerationRequest(prompt="def f():")])
    assert server.paths == ["/v1/completions"]
    assert "top_k" not in server.bodies[0] and "stop" not in server.bodies[0]
    assert result.completions[0].text == "def f():#0"


def test_transient_failures_are_retried(server):
    server.failures = [503, 429]
    client = OpenAICompatibleClient(server.url, model="m", retry=FAST_RETRY)
    [result] = client.generate([chat("x")])
    assert len(server.bodies) == 3
    assert result.completions[0].text == "x#0"


def test_client_errors_are_not_retried(server):
    server.failures = [400]
    client = OpenAICompatibleClient(server.url, model="m", retry=FAST_RETRY)
    with pytest.raises(GenerationBackendError, match="HTTP 400"):
        client.generate([chat("x")])
    assert len(server.bodies) == 1


def test_dead_server_gives_clear_error_after_retries():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = OpenAICompatibleClient(f"http://127.0.0.1:{port}", model="m", retry=FAST_RETRY)
    with pytest.raises(GenerationBackendError, match=r"did not answer after 3 attempts.*server is running"):
        client.generate([chat("x")])


def test_slow_server_times_out_and_is_retried():
    double = OpenAIServerDouble(delay_s=0.5)
    try:
        client = OpenAICompatibleClient(double.url, model="m", timeout_s=0.1, retry=FAST_RETRY)
        with pytest.raises(GenerationBackendError, match="did not answer"):
            client.generate([chat("x")])
        assert len(double.bodies) == 3
    finally:
        double.close()


def test_concurrency_is_bounded_and_order_kept():
    double = OpenAIServerDouble(delay_s=0.05)
    try:
        client = OpenAICompatibleClient(double.url, model="m", max_concurrency=3, retry=FAST_RETRY)
        requests = [chat(f"q{i}") for i in range(10)]
        results = asyncio.run(client.agenerate(requests))
        assert [r.completions[0].text for r in results] == [f"q{i}#0" for i in range(10)]
        assert double.max_in_flight == 3
        client.close()
    finally:
        double.close()


def test_apportioned_tokens_sum_to_total():
    shares = apportion_tokens(101, ["a", "bbbb", "cc"])
    assert sum(shares) == 101 and shares[1] > shares[2] > 0


def test_bad_address_is_named():
    with pytest.raises(ValueError, match="must start with http"):
        OpenAICompatibleClient("127.0.0.1:8000", model="m")
