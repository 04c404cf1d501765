"""A real JetStream server (`python -m data_gen.serve`) in a subprocess on loopback, serving
a tiny random checkpoint; completions come back over gRPC through `JetStreamClient` and
equal the in-process generator's for the same requests and seeds."""
import pathlib
import socket

import numpy as np
import pytest

from rl.generation.in_process import InProcessGenerator
from rl.generation.jetstream_client import JetStreamClient
from rl.generation.retrying import GenerationBackendError, RetryPolicy
from rl.generation.types import GenerationRequest, Message
from rl.loaders.hf_directory import write_hf_directory
from rl.models.hf_weights import expected_hf_shapes
from tests.fixtures.tiny_model import tiny_config
from tests.fixtures.byte_tokenizer import byte_tokenizer
from tests.rl.jetstream.server_process import serve_in_subprocess
FAST_RETRY = RetryPolicy(max_attempts=2, initial_backoff_s=0.05, max_backoff_s=0.1)


def write_tiny_checkpoint(directory: pathlib.Path) -> None:
    """A random tiny Qwen2 checkpoint with the byte tokenizer, as the server loads it."""
    config = tiny_config("qwen2")
    rng = np.random.default_rng(0)
    tensors = {}
    for name, shape in expected_hf_shapes(config).items():
        scale = 0.1 if name.endswith("norm.weight") else 0.5
        base = 1.0 if name.endswith("norm.weight") else 0.0
        tensors[name] = (base + scale * rng.standard_normal(shape)).astype(np.float32)
    write_hf_directory(directory, config, tensors)
    byte_tokenizer().save(directory)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tiny_checkpoint")
    write_tiny_checkpoint(directory)
    overrides = [f"model={directory}", "port=0", "slots=4", "max_prefill_length=64", "max_cache_length=128"]
    with serve_in_subprocess(overrides, directory / "server.log") as address:
        yield address, directory


def without_stop_tokens(completion, stop_token_ids):
    """The in-process sampler keeps the stop token it ended on; JetStream never sends it."""
    return [t for t in completion.token_ids if t not in stop_token_ids]


def test_completions_over_grpc_match_the_in_process_generator(served):
    address, directory = served
    client = JetStreamClient(address, byte_tokenizer(), model="tiny", timeout_s=120, retry=FAST_RETRY,
                             max_concurrency=4)
    requests = [
        GenerationRequest(messages=(Message("user", "write f"),), n=3, max_new_tokens=10, temperature=1.0, seed=5),
        GenerationRequest(prompt="def f(x):", n=1, max_new_tokens=7, temperature=0.0),
        GenerationRequest(prompt="x = ", n=2, max_new_tokens=12, temperature=0.8, top_p=0.9, top_k=40, seed=2),
    ]
    served_results = client.generate(requests)
    client.close()
    local = InProcessGenerator.from_checkpoint(str(directory))
    local_results = local.generate(requests)
    stops = local.tokenizer.stop_token_ids

    for request, served_result, local_result in zip(requests, served_results, local_results):
        assert len(served_result.completions) == request.n
        for remote, here in zip(served_result.completions, local_result.completions):
            assert list(remote.token_ids) == without_stop_tokens(here, stops)
            assert remote.text == here.text
            assert remote.prompt_tokens == here.prompt_tokens
            assert remote.finish_reason == here.finish_reason
    assert len({c.token_ids for c in served_results[0].completions}) > 1  # the samples differ


def test_stop_string_cuts_the_answer(served):
    address, _ = served
    client = JetStreamClient(address, byte_tokenizer(), timeout_s=120, retry=FAST_RETRY)
    request = GenerationRequest(prompt="def f(x):", max_new_tokens=20, temperature=0.0)
    [full] = client.generate([request])
    text = full.completions[0].text
    assert len(text) >= 4
    stop = text[2:4]
    [cut] = client.generate([GenerationRequest(prompt="def f(x):", max_new_tokens=20, temperature=0.0,
                                               stop=(stop,))])
    client.close()
    assert cut.completions[0].text == text[: text.find(stop)]
    assert cut.completions[0].finish_reason == "stop"


def test_dead_server_gives_clear_error_after_retries():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = JetStreamClient(f"127.0.0.1:{port}", byte_tokenizer(), timeout_s=5, retry=FAST_RETRY)
    with pytest.raises(GenerationBackendError, match=r"JetStream server at 127\.0\.0\.1:\d+ did not answer after 2"):
        client.generate([GenerationRequest(prompt="x", max_new_tokens=3)])
    client.close()


def test_text_request_without_metadata_uses_server_tokenizer_and_defaults(served):
    """A stock JetStream client: text content, no sampling metadata (server default: greedy)."""
    import grpc
    from jetstream.core.proto import jetstream_pb2, jetstream_pb2_grpc

    address, _ = served
    with grpc.insecure_channel(address) as channel:
        stub = jetstream_pb2_grpc.OrchestratorStub(channel)
        request = jetstream_pb2.DecodeRequest(
            max_tokens=6, text_content=jetstream_pb2.DecodeRequest.TextContent(text="def f(x):"))
        token_ids = [t for response in stub.Decode(request, timeout=120)
                     for sample in response.stream_content.samples for t in sample.token_ids]
    client = JetStreamClient(address, byte_tokenizer(), timeout_s=120, retry=FAST_RETRY)
    [greedy] = client.generate([GenerationRequest(prompt="def f(x):", max_new_tokens=6, temperature=0.0)])
    client.close()
    assert token_ids == list(greedy.completions[0].token_ids)
