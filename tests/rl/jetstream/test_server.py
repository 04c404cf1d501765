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


def _malformed_calls():
    """(request, metadata) pairs the server must refuse: 20 kinds, repeated to 200."""
    from jetstream.core.proto import jetstream_pb2
    from rl.jetstream.request_sampling import _PREFIX

    def tokens(ids, max_tokens=5):
        return jetstream_pb2.DecodeRequest(
            token_content=jetstream_pb2.DecodeRequest.TokenContent(token_ids=ids), max_tokens=max_tokens)

    def text(value, max_tokens=5):
        return jetstream_pb2.DecodeRequest(
            text_content=jetstream_pb2.DecodeRequest.TextContent(text=value), max_tokens=max_tokens)

    def sampling(**fields):
        return tuple((_PREFIX + name.replace("_", "-"), value) for name, value in fields.items())

    kinds = [
        (tokens([]), ()), (text(""), ()), (jetstream_pb2.DecodeRequest(max_tokens=5), ()),
        (tokens([10 ** 6]), ()), (tokens([-1]), ()), (tokens([65] * 5000), ()),
        (tokens([65], max_tokens=0), ()), (tokens([65], max_tokens=-3), ()),
        (tokens([65], max_tokens=10 ** 6), ()),
        (tokens([65]), sampling(seed=str(10 ** 30))), (tokens([65]), sampling(seed="-" + str(10 ** 30))),
        (tokens([65]), sampling(temperature="inf")), (tokens([65]), sampling(temperature="nan")),
        (tokens([65]), sampling(temperature="-1.0")), (tokens([65]), sampling(top_p="0.0")),
        (tokens([65]), sampling(top_p="nan")), (tokens([65]), sampling(top_k="-1")),
        (tokens([65]), sampling(top_k="not a number")), (tokens([65]), sampling(sample_index="-5")),
        (text("x" * (2 << 20)), ()),
    ]
    return [kinds[index % len(kinds)] for index in range(200)]


def test_server_survives_200_malformed_requests_then_answers(served):
    import grpc
    from jetstream.core.proto import jetstream_pb2_grpc

    address, _ = served
    client = JetStreamClient(address, byte_tokenizer(), timeout_s=120, retry=FAST_RETRY)
    request = GenerationRequest(prompt="def f(x):", n=1, max_new_tokens=6, temperature=0.0)
    [before] = client.generate([request])
    channel = grpc.insecure_channel(address, options=[("grpc.max_send_message_length", 8 << 20)])
    stub = jetstream_pb2_grpc.OrchestratorStub(channel)
    codes = []
    for message, metadata in _malformed_calls():
        try:
            list(stub.Decode(message, metadata=metadata, timeout=60))
            codes.append("OK")
        except grpc.RpcError as error:
            codes.append(error.code().name)
    channel.close()
    assert codes == ["INVALID_ARGUMENT"] * 200
    [after] = client.generate([request])
    client.close()
    assert after.completions[0].token_ids == before.completions[0].token_ids
    assert after.completions[0].text == before.completions[0].text


def test_shared_secret_token_is_required_when_set():
    from rl.jetstream.driver import TOKEN_METADATA_KEY, RequestLimits
    open_server = RequestLimits(vocab_size=10, max_prefill_length=8, max_cache_length=16)
    guarded = RequestLimits(vocab_size=10, max_prefill_length=8, max_cache_length=16,
                            auth_token="s3cret")
    assert open_server.check_token(())
    assert guarded.check_token(((TOKEN_METADATA_KEY, "s3cret"),))
    assert not guarded.check_token(())
    assert not guarded.check_token(((TOKEN_METADATA_KEY, "s3cre"),))


def test_constrained_requests_over_grpc_match_their_regex_and_the_in_process_tokens(served):
    """The constraint travels with the request; the engine holds each slot to its own
    automaton on the device, and gives the in-process generator's tokens."""
    import re

    address, directory = served
    client = JetStreamClient(address, byte_tokenizer(), model="tiny", timeout_s=120, retry=FAST_RETRY,
                             max_concurrency=4)
    regexes = [r"(yes|no|maybe)", r"-?[1-9][0-9]{0,2}", None, r"\[[0-9](, [0-9]){0,3}\]"]
    requests = [GenerationRequest(prompt=f"q{i}: ", n=2, max_new_tokens=40, temperature=1.0, seed=i, constraint=r)
                for i, r in enumerate(regexes)]
    served_results = client.generate(requests)
    client.close()
    local = InProcessGenerator.from_checkpoint(str(directory)).generate(requests)
    stops = byte_tokenizer().stop_token_ids
    for regex, remote, here in zip(regexes, served_results, local):
        for remote_completion, local_completion in zip(remote.completions, here.completions):
            if regex is not None and local_completion.finish_reason == "stop":
                assert re.fullmatch(regex, remote_completion.text), (regex, remote_completion.text)
            assert list(remote_completion.token_ids) == without_stop_tokens(local_completion, stops)
