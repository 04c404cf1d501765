"""Tokenizers from checkpoint directories (tokenizer.json + tokenizer_config.json or
chat_template.jinja + generation_config.json) agree with transformers' AutoTokenizer on
the same files: ids, decoding, special tokens, stop ids and rendered chat templates."""
import json

import jinja2
import pytest
from tokenizers import Regex, decoders, models, normalizers, pre_tokenizers, trainers
import tokenizers

from rl.loaders import CheckpointError, Tokenizer, load_tokenizer
from tests.fixtures.byte_tokenizer import byte_tokenizer

# A template of our own that exercises what Hugging Face's renderer provides: bos_token,
# raise_exception, loop controls, tojson with non-ASCII text, trim_blocks/lstrip_blocks.
TEST_TEMPLATE = """{{ bos_token }}
{%- for message in messages %}
    {%- if message['role'] not in ['system', 'user', 'assistant'] %}
        {{- raise_exception('unknown role ' + message['role']) }}
    {%- endif %}
    {%- if loop.index > 6 %}{% break %}{% endif %}
<|start|>{{ message['role'] }}
{{ message['content'] | trim }}<|end|>
{% endfor %}
{%- if tools %}tools: {{ tools | tojson }}
{% endif %}
{%- if add_generation_prompt %}<|start|>assistant
{% endif %}"""

CORPUS = [
    "def add(a, b):\n    return a + b\n", "for i in range(10):\n    print(i ** 2)\n",
    "Héllo wörld, 12345 numbers and CamelCase words. Don't stop!", "x = {'key': [1, 2, 3]}  # comment\n",
] * 20
SPECIALS = ["<|begin|>", "<|end|>", "<|start|>", "<|pad|>"]


def _save_tiny_tokenizer(directory, *, template_in_jinja_file=False):
    from transformers import PreTrainedTokenizerFast

    backend = tokenizers.Tokenizer(models.BPE())
    backend.normalizer = normalizers.NFC()
    backend.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(r"\p{N}| ?\p{L}+| ?[^\s\p{L}\p{N}]+|\s+"), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    backend.train_from_iterator(CORPUS, trainer)
    wrapped = PreTrainedTokenizerFast(tokenizer_object=backend, bos_token="<|begin|>", eos_token="<|end|>",
                                      pad_token="<|pad|>")
    wrapped.chat_template = TEST_TEMPLATE
    wrapped.save_pretrained(str(directory))
    (directory / "generation_config.json").write_text(json.dumps({"eos_token_id": [wrapped.convert_tokens_to_ids(
        "<|end|>"), wrapped.convert_tokens_to_ids("<|start|>")]}))
    config_path = directory / "tokenizer_config.json"
    config = json.loads(config_path.read_text())
    jinja_path = directory / "chat_template.jinja"
    if template_in_jinja_file and not jinja_path.exists():
        jinja_path.write_text(config.pop("chat_template"))
    elif not template_in_jinja_file and jinja_path.exists():
        config["chat_template"] = jinja_path.read_text()
        jinja_path.unlink()
    config_path.write_text(json.dumps(config))


@pytest.mark.parametrize("template_in_jinja_file", [False, True])
def test_directory_tokenizer_equals_transformers(tmp_path, template_in_jinja_file):
    from transformers import AutoTokenizer

    _save_tiny_tokenizer(tmp_path, template_in_jinja_file=template_in_jinja_file)
    ours = Tokenizer.from_directory(tmp_path)
    reference = AutoTokenizer.from_pretrained(str(tmp_path))
    for text in CORPUS[:4] + ["unseen wörds 987 <|end|> tail", "  spaces\n\nand\ttabs  "]:
        ids = ours.encode(text)
        assert ids == reference.encode(text)
        assert ours.decode(ids) == reference.decode(ids, skip_special_tokens=True)
        assert ours.decode(ids, skip_special_tokens=False) == reference.decode(ids)
    assert (ours.bos_token, ours.eos_token, ours.pad_token) == ("<|begin|>", "<|end|>", "<|pad|>")
    assert ours.pad_token_id == reference.pad_token_id
    assert ours.stop_token_ids == (reference.eos_token_id, reference.convert_tokens_to_ids("<|start|>"))
    conversations = [
        [{"role": "user", "content": "  hi  "}],
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Write f."},
         {"role": "assistant", "content": "def f(): pass"}, {"role": "user", "content": "Again, ünïcode"}],
        [{"role": "user", "content": f"turn {i}"} for i in range(9)],
    ]
    tools = [{"name": "run", "description": "exécute le code"}]
    for messages in conversations:
        for add_generation_prompt in (True, False):
            assert ours.apply_chat_template(messages, add_generation_prompt=add_generation_prompt) == \
                reference.apply_chat_template(messages, tokenize=False, add_generation_prompt=add_generation_prompt)
        assert ours.encode_chat(messages) == reference.apply_chat_template(
            messages, tokenize=True, add_generation_prompt=True, return_dict=False)
        assert ours.apply_chat_template(messages, tools=tools) == reference.apply_chat_template(
            messages, tools=tools, tokenize=False, add_generation_prompt=True)


def test_template_errors_reach_the_caller(tmp_path):
    _save_tiny_tokenizer(tmp_path)
    with pytest.raises(jinja2.exceptions.TemplateError, match="unknown role tool"):
        Tokenizer.from_directory(tmp_path).apply_chat_template([{"role": "tool", "content": "x"}])


def test_saved_tokenizer_reads_back_the_same(tmp_path):
    original = byte_tokenizer()
    original.save(tmp_path)
    loaded = load_tokenizer(tmp_path)
    text = "any bytes: \u00e9\u4e2d\U0001f600 <|im_end|>"
    assert loaded.encode(text) == original.encode(text)
    assert loaded.stop_token_ids == original.stop_token_ids and loaded.chat_template == original.chat_template
    assert loaded.apply_chat_template([{"role": "user", "content": "q"}]) == \
        "<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n"


def test_missing_tokenizer_and_missing_template_are_clear(tmp_path):
    with pytest.raises(CheckpointError, match="has no tokenizer.json"):
        Tokenizer.from_directory(tmp_path)
    no_template = byte_tokenizer()
    no_template.chat_template = None
    with pytest.raises(CheckpointError, match="no chat template; send a raw `prompt`"):
        no_template.apply_chat_template([{"role": "user", "content": "q"}])
