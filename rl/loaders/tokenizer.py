"""The model's tokenizer: a `tokenizers` tokenizer plus its special tokens, the ids that end a
generation and the model's own chat template. Built from a checkpoint directory
(tokenizer.json, tokenizer_config.json or chat_template.jinja, generation_config.json) or,
for GGUF files, by `rl.loaders.gguf_tokenizer`; saved in the same directory format."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

import tokenizers

from rl.loaders.chat_template import render_chat_template
from rl.loaders.errors import CheckpointError

TOKENIZER_FILE = "tokenizer.json"
TOKENIZER_CONFIG_FILE = "tokenizer_config.json"
CHAT_TEMPLATE_FILE = "chat_template.jinja"
GENERATION_CONFIG_FILE = "generation_config.json"


class Tokenizer:
    """Text <-> token ids, special tokens, stop ids and chat-template rendering for one model."""

    def __init__(
        self,
        backend: tokenizers.Tokenizer,
        *,
        chat_template: Optional[str],
        bos_token: Optional[str],
        eos_token: Optional[str],
        pad_token: Optional[str] = None,
        extra_stop_token_ids: Sequence[int] = (),
    ):
        self.backend = backend
        self.chat_template = chat_template
        self.bos_token, self.eos_token, self.pad_token = bos_token, eos_token, pad_token
        self.bos_token_id = self._id_of(bos_token)
        self.eos_token_id = self._id_of(eos_token)
        pad_id = self._id_of(pad_token)
        self.pad_token_id = pad_id if pad_id is not None else (self.eos_token_id or 0)
        stops = [self.eos_token_id] if self.eos_token_id is not None else []
        stops += [token_id for token_id in extra_stop_token_ids if token_id not in stops]
        self.stop_token_ids: tuple[int, ...] = tuple(stops)

    def _id_of(self, token: Optional[str]) -> Optional[int]:
        if token is None:
            return None
        token_id = self.backend.token_to_id(token)
        if token_id is None:
            raise CheckpointError(f"special token {token!r} is not in the tokenizer's vocabulary")
        return token_id

    @property
    def vocab_size(self) -> int:
        """Number of token ids the tokenizer can produce (base vocabulary plus added tokens)."""
        return self.backend.get_vocab_size(with_added_tokens=True)

    def encode(self, text: str, *, add_special_tokens: bool = True) -> list[int]:
        """Token ids of `text`; `add_special_tokens` adds what the tokenizer adds around raw text (e.g. BOS)."""
        return self.backend.encode(text, add_special_tokens=add_special_tokens).ids

    def decode(self, token_ids: Sequence[int], *, skip_special_tokens: bool = True) -> str:
        return self.backend.decode(list(token_ids), skip_special_tokens=skip_special_tokens)

    def special_tokens_map(self) -> dict[str, Optional[str]]:
        return {"bos_token": self.bos_token, "eos_token": self.eos_token, "pad_token": self.pad_token}

    def apply_chat_template(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        add_generation_prompt: bool = True,
        tools: Optional[Sequence[Mapping[str, Any]]] = None,
        **template_variables: Any,
    ) -> str:
        """The prompt text the model's own chat template makes of `messages`."""
        if self.chat_template is None:
            raise CheckpointError(
                "this tokenizer has no chat template; send a raw `prompt` instead of chat `messages`"
            )
        return render_chat_template(
            self.chat_template, messages, add_generation_prompt=add_generation_prompt,
            special_tokens=self.special_tokens_map(), tools=tools, **template_variables,
        )

    def encode_chat(self, messages: Sequence[Mapping[str, Any]], *, add_generation_prompt: bool = True) -> list[int]:
        """Token ids of the rendered chat (the template writes any BOS itself, as in Hugging Face)."""
        text = self.apply_chat_template(messages, add_generation_prompt=add_generation_prompt)
        return self.encode(text, add_special_tokens=False)

    def save(self, directory: str | Path) -> None:
        """Write tokenizer.json, tokenizer_config.json (with the chat template) and the stop ids."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.backend.save(str(directory / TOKENIZER_FILE))
        config = {"tokenizer_class": "PreTrainedTokenizerFast", **self.special_tokens_map()}
        if self.chat_template is not None:
            config["chat_template"] = self.chat_template
        (directory / TOKENIZER_CONFIG_FILE).write_text(json.dumps(config, indent=2, ensure_ascii=False))
        generation_path = directory / GENERATION_CONFIG_FILE
        generation = json.loads(generation_path.read_text()) if generation_path.is_file() else {}
        generation["eos_token_id"] = list(self.stop_token_ids)
        generation_path.write_text(json.dumps(generation, indent=2))

    @classmethod
    def from_directory(cls, directory: str | Path) -> "Tokenizer":
        """The tokenizer of a Hugging Face checkpoint directory."""
        directory = Path(directory)
        tokenizer_path = directory / TOKENIZER_FILE
        if not tokenizer_path.is_file():
            raise CheckpointError(f"{directory} has no {TOKENIZER_FILE}; the tokenizer needs it")
        backend = tokenizers.Tokenizer.from_file(str(tokenizer_path))
        config = _read_json_if_present(directory / TOKENIZER_CONFIG_FILE)
        generation = _read_json_if_present(directory / GENERATION_CONFIG_FILE)
        eos_ids = generation.get("eos_token_id", [])
        eos_ids = [eos_ids] if isinstance(eos_ids, int) else list(eos_ids)
        return cls(
            backend,
            chat_template=_chat_template_of(directory, config),
            bos_token=_token_text(config.get("bos_token")),
            eos_token=_token_text(config.get("eos_token")),
            pad_token=_token_text(config.get("pad_token")),
            extra_stop_token_ids=eos_ids,
        )


def _read_json_if_present(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except ValueError as error:
        raise CheckpointError(f"{path} is not valid JSON: {error}") from None


def _token_text(entry: Any) -> Optional[str]:
    """A special token as tokenizer_config.json writes it: a string or {"content": ...}."""
    if isinstance(entry, Mapping):
        return entry.get("content")
    return entry


def _chat_template_of(directory: Path, config: Mapping[str, Any]) -> Optional[str]:
    jinja_path = directory / CHAT_TEMPLATE_FILE
    if jinja_path.is_file():
        return jinja_path.read_text()
    template = config.get("chat_template")
    if isinstance(template, list):  # named templates: [{"name": ..., "template": ...}]
        named = {entry["name"]: entry["template"] for entry in template}
        return named.get("default", next(iter(named.values()), None))
    return template
