"""`python -m rl.generate` end to end on a tiny checkpoint directory with a byte tokenizer,
and its one-line errors for a missing prompt file or an unknown model."""
import subprocess
import sys

import pytest

from rl import generate
from rl.generation.in_process import InProcessGenerator
from rl.generation.types import GenerationRequest, Message
from tests.fixtures.byte_tokenizer import byte_tokenizer
from tests.fixtures.tiny_model import save_tiny_hf_checkpoint


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tiny_checkpoint")
    save_tiny_hf_checkpoint("qwen2", directory, seed=11)
    byte_tokenizer().save(directory)
    return directory


def test_prints_the_greedy_chat_completion(checkpoint, tmp_path):
    prompt_file = tmp_path / "prompt.txt"
    prompt_file.write_text("Write a function.")
    completed = subprocess.run(
        [sys.executable, "-m", "rl.generate", "--model", str(checkpoint), "--prompt-file", str(prompt_file),
         "--temperature", "0", "--max-new-tokens", "6"],
        capture_output=True, text=True, timeout=600,
    )
    assert completed.returncode == 0, completed.stderr
    expected = InProcessGenerator.from_checkpoint(str(checkpoint)).generate([GenerationRequest(
        messages=(Message("user", "Write a function."),), max_new_tokens=6, temperature=0.0)])[0].completions[0]
    assert completed.stdout == expected.text + "\n"
    assert f"{expected.prompt_tokens} prompt + {expected.completion_tokens} new tokens" in completed.stderr


def test_a_missing_prompt_file_is_one_clear_error(tmp_path, capsys):
    assert generate.main(["--model", "qwen2.5-coder-0.5b-instruct", "--prompt-file", str(tmp_path / "no.txt")]) == 2
    assert capsys.readouterr().err.strip() == f"error: prompt file {tmp_path / 'no.txt'} does not exist"


def test_an_unknown_model_lists_what_is_accepted(tmp_path, capsys):
    prompt_file = tmp_path / "prompt.txt"
    prompt_file.write_text("hi")
    assert generate.main(["--model", str(tmp_path / "nothing"), "--prompt-file", str(prompt_file)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: cannot load") and "qwen2.5-coder-0.5b-instruct" in error


def test_system_message_and_raw_mode_shape_the_request(tmp_path):
    args = generate.parse_args(["--model", "m", "--prompt-file", "p", "--system", "Be brief.", "--temperature", "0.5"])
    request = generate.build_request(args, "hello")
    assert request.messages == (Message("system", "Be brief."), Message("user", "hello"))
    assert request.temperature == 0.5 and request.max_new_tokens == 256
    raw = generate.build_request(generate.parse_args(["--model", "m", "--prompt-file", "p", "--raw"]), "hello")
    assert raw.prompt == "hello" and raw.messages is None
