"""Rendering a model's own Jinja chat template the way Hugging Face `apply_chat_template` does:
a sandboxed environment with trim_blocks/lstrip_blocks and loop controls, `raise_exception`,
`strftime_now` and a `tojson` that keeps non-ASCII text."""
from __future__ import annotations

import datetime
import functools
import json
from typing import Any, Mapping, Optional, Sequence

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

from rl.loaders.errors import CheckpointError


def _raise_exception(message: str) -> None:
    raise jinja2.exceptions.TemplateError(message)


def _tojson(value: Any, ensure_ascii: bool = False, indent: Optional[int] = None,
            separators: Any = None, sort_keys: bool = False) -> str:
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def _strftime_now(format_string: str) -> str:
    return datetime.datetime.now().strftime(format_string)


@functools.lru_cache(maxsize=16)
def compile_chat_template(source: str) -> jinja2.Template:
    environment = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols]
    )
    environment.filters["tojson"] = _tojson
    environment.globals["raise_exception"] = _raise_exception
    environment.globals["strftime_now"] = _strftime_now
    try:
        return environment.from_string(source)
    except jinja2.exceptions.TemplateSyntaxError as error:
        raise CheckpointError(f"the model's chat template does not parse: {error}") from None


def render_chat_template(
    source: str,
    messages: Sequence[Mapping[str, Any]],
    *,
    add_generation_prompt: bool,
    special_tokens: Mapping[str, Optional[str]],
    tools: Optional[Sequence[Mapping[str, Any]]] = None,
    **extra: Any,
) -> str:
    """The template rendered over `messages` (dicts with role and content)."""
    template = compile_chat_template(source)
    return template.render(
        messages=[dict(message) for message in messages],
        tools=list(tools) if tools is not None else None,
        add_generation_prompt=add_generation_prompt,
        **dict(special_tokens),
        **extra,
    )
