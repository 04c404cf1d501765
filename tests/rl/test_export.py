"""The Hugging Face export round trip: a tiny policy trained two GRPO steps (real
abduction problems graded in the sandbox) is exported by the trainer; the export loads
with the project's loader (the one rl.evaluate and rl.generate use) and with
transformers, with the trained logits, its tokenizer and chat template; and a bfloat16
export past the shard size is split with an index that both loaders follow."""
import json

import numpy as np
import pytest
import tokenizers
import torch
import transformers
from flax import nnx
from tokenizers import AddedToken, models, pre_tokenizers

from rl.export import export_hf, hf_tensors, shard_plan
from rl.loaders import load_checkpoint
from rl.loaders.tokenizer import Tokenizer
from rl.models.hf_weights import expected_hf_shapes, model_from_hf_tensors
from rl.train import train
from sandbox.executor import SandboxExecutor
from tests.fixtures.tiny_model import tiny_config, tiny_model
from tests.rl import train_doubles

TOKENS = np.array([[1, 5, 9, 2, 7, 3]], dtype=np.int32)


def _digit_tokenizer() -> Tokenizer:
    """A real tokenizer with the digit policy's ids: digits 0-9, <end> = 10, <pad> = 11."""
    vocab = {**{digit: index for index, digit in enumerate("0123456789")}, "<end>": 10, "<pad>": 11}
    backend = tokenizers.Tokenizer(models.WordLevel(vocab, unk_token="<pad>"))
    backend.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Whitespace(),
                                                     pre_tokenizers.Digits(individual_digits=True)])
    backend.add_special_tokens([AddedToken("<end>", special=True), AddedToken("<pad>", special=True)])
    template = "{% for message in messages %}{{ message['content'] }}{% endfor %}"
    return Tokenizer(backend, chat_template=template, bos_token=None, eos_token="<end>", pad_token="<pad>")


class SavableDigitTokenizer(train_doubles.DigitTokenizerDouble):
    """The trainer's digit tokenizer double, exported as the real digit tokenizer."""

    def __init__(self):
        self.real = _digit_tokenizer()
        self.chat_template = self.real.chat_template
        self.bos_token_id = None

    def save(self, directory):
        self.real.save(directory)


@pytest.fixture(scope="module")
def trained_export(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("run")
    export_dir = run_dir / "export"
    with SandboxExecutor(workers=2) as executor:
        data_file = str(tmp_path_factory.mktemp("data") / "problems.jsonl")
        train_doubles.write_abduction_dataset(data_file, executor)
        config = train_doubles.train_config(str(run_dir), data_file, steps=2, overlong_filtering=False)
        config.checkpoint.export_directory = str(export_dir)
        policy = train_doubles.tiny_digit_policy()
        policy.tokenizer = SavableDigitTokenizer()
        initial = np.asarray(nnx.merge(policy.graphdef, policy.params)(TOKENS))
        result = train(config, policy=policy, executor=executor, progress=False)
    assert result.final_step == 2
    trained = np.asarray(nnx.merge(policy.graphdef, policy.params)(TOKENS))
    assert not np.allclose(initial, trained), "two GRPO steps changed the policy"
    return export_dir, trained


def test_the_export_holds_weights_config_tokenizer_template_and_generation_config(trained_export):
    export_dir, _ = trained_export
    names = sorted(p.name for p in export_dir.iterdir())
    assert names == ["chat_template.jinja", "config.json", "generation_config.json", "model.safetensors",
                     "tokenizer.json", "tokenizer_config.json"]
    assert json.loads((export_dir / "config.json").read_text())["torch_dtype"] == "float32"
    generation = json.loads((export_dir / "generation_config.json").read_text())
    assert generation["eos_token_id"] == [10] and generation["pad_token_id"] == 11


def test_the_project_loader_gives_the_trained_logits_and_tokenizer(trained_export):
    export_dir, trained = trained_export
    loaded = load_checkpoint(str(export_dir))           # as rl.evaluate / rl.generate / model.checkpoint load it
    model = model_from_hf_tensors(loaded.config, loaded.tensors)
    np.testing.assert_allclose(np.asarray(model(TOKENS)), trained, atol=1e-5, rtol=1e-5)
    assert loaded.tokenizer.encode("1 59") == [1, 5, 9]
    assert loaded.tokenizer.stop_token_ids == (10,) and loaded.tokenizer.pad_token_id == 11
    assert loaded.tokenizer.apply_chat_template([{"role": "user", "content": "42"}]) == "42"


def test_transformers_loads_the_export_with_the_same_logits(trained_export):
    export_dir, trained = trained_export
    hf_model = transformers.AutoModelForCausalLM.from_pretrained(str(export_dir)).eval()
    with torch.no_grad():
        theirs = hf_model(torch.tensor(TOKENS, dtype=torch.long)).logits.numpy()
    np.testing.assert_allclose(theirs, trained, atol=2e-4, rtol=1e-4)
    hf_tokenizer = transformers.AutoTokenizer.from_pretrained(str(export_dir))
    assert hf_tokenizer("1 59", add_special_tokens=False)["input_ids"] == [1, 5, 9]
    assert hf_tokenizer.eos_token == "<end>"
    rendered = hf_tokenizer.apply_chat_template([{"role": "user", "content": "42"}], tokenize=False)
    assert rendered == "42"


def test_rl_evaluate_samples_the_export(trained_export):
    from configs.eval import get_config
    from rl.generation.factory import make_text_generator
    from rl.generation.types import GenerationRequest

    export_dir, trained = trained_export
    config = get_config()
    config.checkpoint = str(export_dir)
    generator = make_text_generator(config.policy)     # rl.evaluate's own construction
    completion = generator.generate([GenerationRequest(prompt="1 5 9 2 7 3", n=1, max_new_tokens=1,
                                                       temperature=0.0)])[0].completions[0]
    first = int(np.argmax(trained[0, -1]))
    expected = "" if first >= 10 else str(first)     # greedy: the trained model's most likely next token
    assert completion.text == expected


def test_a_bfloat16_export_past_the_shard_size_is_split_and_loads(tmp_path):
    model = tiny_model("qwen3", seed=5)
    _, params = nnx.split(model)
    export_hf(params, model.config, tmp_path, dtype="bfloat16", max_shard_bytes=64 << 10)
    index = json.loads((tmp_path / "model.safetensors.index.json").read_text())
    shards = sorted(set(index["weight_map"].values()))
    assert len(shards) > 2 and not (tmp_path / "model.safetensors").exists()
    assert all((tmp_path / shard).stat().st_size <= (64 << 10) + 4096 or len(
        [n for n, s in index["weight_map"].items() if s == shard]) == 1 for shard in shards)
    assert json.loads((tmp_path / "config.json").read_text())["torch_dtype"] == "bfloat16"
    loaded = load_checkpoint(str(tmp_path))
    assert all(str(t.dtype) == "bfloat16" for t in loaded.tensors.values())
    ours = np.asarray(model_from_hf_tensors(loaded.config, loaded.tensors)(TOKENS))
    hf_model = transformers.AutoModelForCausalLM.from_pretrained(str(tmp_path), dtype=torch.float32).eval()
    with torch.no_grad():
        theirs = hf_model(torch.tensor(TOKENS, dtype=torch.long)).logits.numpy()
    np.testing.assert_allclose(theirs, ours, atol=2e-4, rtol=1e-4)
    reference = np.asarray(model(TOKENS))
    assert np.abs(ours - reference).max() < 0.05, "bfloat16 rounding moves the logits only a little"


def test_the_shard_plan_keeps_files_under_the_limit():
    tensors = {name: np.zeros(size, np.uint8) for name, size in (("a", 40), ("b", 40), ("c", 100), ("d", 10))}
    assert shard_plan(tensors, 90) == [["a", "b"], ["c"], ["d"]]
    assert shard_plan(tensors, 1000) == [["a", "b", "c", "d"]]


def test_rl_generate_completes_with_the_export(trained_export, tmp_path, capsys):
    from rl import generate

    export_dir, trained = trained_export
    prompt = tmp_path / "prompt.txt"
    prompt.write_text("1 5 9 2 7 3")
    assert generate.main(["--model", str(export_dir), "--prompt-file", str(prompt), "--raw",
                          "--max-new-tokens", "1"]) == 0
    first = int(np.argmax(trained[0, -1]))
    assert capsys.readouterr().out == ("" if first >= 10 else str(first)) + "\n"


@pytest.mark.parametrize("family", ["qwen2", "qwen3", "llama"])
def test_loading_then_exporting_gives_back_every_tensor_exactly(family):
    """Per-layer HF tensors go into the stacked layer parameters and come back out unchanged."""
    config = tiny_config(family)
    rng = np.random.RandomState(3)
    tensors = {name: rng.randn(*shape).astype(np.float32) for name, shape in expected_hf_shapes(config).items()}
    _, params = nnx.split(model_from_hf_tensors(config, tensors))
    exported = hf_tensors(params, config)
    assert sorted(exported) == sorted(tensors)
    for name, tensor in tensors.items():
        np.testing.assert_array_equal(exported[name], tensor, err_msg=name)
