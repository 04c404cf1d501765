"""The teacher/student config sections build the client they name, or say what is wrong."""
import pytest

from configs.sections.teacher import get_student_config, get_teacher_config
from rl.generation.factory import make_text_generator
from rl.generation.openai_client import OpenAICompatibleClient


def test_openai_backend_builds_the_http_client_with_its_settings(monkeypatch):
    section = get_teacher_config()
    section.backend = "openai"
    section.address = "http://127.0.0.1:8000/v1"
    section.model = "gpt-oss-120b"
    section.max_concurrency = 3
    section.retry.max_attempts = 7
    monkeypatch.setenv("OPENAI_API_KEY", "secret")
    client = make_text_generator(section)
    assert isinstance(client, OpenAICompatibleClient)
    assert (client.base_url, client.model, client.retry.max_attempts) == ("http://127.0.0.1:8000", "gpt-oss-120b", 7)
    assert client._runner.max_concurrency == 3 and client._api_key == "secret"


@pytest.mark.parametrize("backend", ["jetstream", "openai"])
def test_remote_backend_without_address_says_how_to_set_it(backend):
    section = get_student_config()
    section.backend = backend
    with pytest.raises(ValueError, match=r"needs an address: set e\.g\. --config\.teacher\.address="):
        make_text_generator(section)


def test_unknown_backend_lists_the_known_ones():
    section = get_teacher_config()
    section.backend = "vllm"
    with pytest.raises(ValueError, match="in_process, jetstream, openai"):
        make_text_generator(section)
