"""Python literals in, plain data out: the only way model-written inputs and outputs are
read outside the sandbox (`ast.literal_eval` on parsed nodes; nothing is ever evaluated).

Argument lists are read the way a call would be: "1, [2, 3]" and "f(1, [2, 3])" and
"x=1, y=[2, 3]" (keywords mapped to positions by the function's signature) are the same
input. A lone tuple given to a function of several parameters is unpacked, since models
often write an input as "(1, 2)".
"""
from __future__ import annotations

import ast
import dataclasses
import re
from typing import Any, Optional, Sequence

from data_gen.environments import model_text
from sandbox.transport import from_literal, to_literal

MAX_LITERAL_CHARS = 20_000
_INPUT_PREFIX = re.compile(r"^\s*(?:input|inputs|args|arguments)\s*\d*\s*[:=]\s*", re.IGNORECASE)


class LiteralError(ValueError):
    """Text that is not a Python literal (or argument list of literals)."""


@dataclasses.dataclass(frozen=True)
class Signature:
    """The parameters of a function as written: names in order, how many are required,
    and whether it takes *args."""

    names: tuple[str, ...]
    required: int
    varargs: bool = False

    @classmethod
    def of(cls, function: ast.FunctionDef) -> "Signature":
        arguments = function.args
        positional = [a.arg for a in arguments.posonlyargs + arguments.args]
        return cls(tuple(positional), len(positional) - len(arguments.defaults), arguments.vararg is not None)


def parse_literal(text: str, max_chars: int = MAX_LITERAL_CHARS) -> Any:
    """One Python literal from `text`; raises LiteralError with a short reason."""
    text = text.strip()
    if not text:
        raise LiteralError("empty")
    if len(text) > max_chars:
        raise LiteralError(f"longer than {max_chars} characters")
    try:
        value = model_text.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as error:
        raise LiteralError(f"not a Python literal ({type(error).__name__})") from None
    if not is_plain_data(value):  # e.g. `...`, which literal_eval accepts but no sandbox job can carry
        raise LiteralError("not plain data")
    return value


def _literal_node(node: ast.AST) -> Any:
    try:
        value = ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as error:
        raise LiteralError(f"argument is not a literal ({type(error).__name__}): "
                           f"{_clip(_unparse(node))}") from None
    if not is_plain_data(value):
        raise LiteralError(f"argument is not plain data: {_clip(_unparse(node))}")
    return value


def _unparse(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except (RecursionError, ValueError):
        return "<unprintable>"


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def parse_arguments(text: str, signature: Optional[Signature] = None,
                    function_name: str = "f", max_chars: int = MAX_LITERAL_CHARS) -> tuple[Any, ...]:
    """The argument tuple of one call written as literals; raises LiteralError."""
    text = _INPUT_PREFIX.sub("", text.strip(), count=1).strip().rstrip(";").strip()
    if not text:
        raise LiteralError("empty input")
    if len(text) > max_chars:
        raise LiteralError(f"input longer than {max_chars} characters")
    call = _as_call(text, function_name)
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        raise LiteralError("starred arguments are not literals")
    positional = [_literal_node(a) for a in call.args]
    keywords = {k.arg: _literal_node(k.value) for k in call.keywords}
    if keywords:
        positional = _place_keywords(positional, keywords, signature)
    if signature is not None:
        if (len(positional) == 1 and isinstance(positional[0], tuple) and len(signature.names) > 1
                and len(positional[0]) == len(signature.names)):
            positional = list(positional[0])
        _check_arity(len(positional), signature)
    return tuple(positional)


def _as_call(text: str, function_name: str) -> ast.Call:
    try:
        tree = model_text.parse(text, mode="eval").body
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        tree = None
    if isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name) and tree.func.id == function_name:
        return tree
    lines = [line.strip().rstrip(",") for line in text.splitlines() if line.strip()]
    if len(lines) > 1 and all(re.match(r"^[A-Za-z_]\w*\s*=[^=]", line) for line in lines):
        text = ", ".join(lines)  # one assignment per line: keyword arguments
    try:
        tree = model_text.parse(f"__call__({text}\n)", mode="eval").body
    except (SyntaxError, ValueError, MemoryError, RecursionError) as error:
        raise LiteralError(f"not an argument list of literals ({type(error).__name__})") from None
    if not isinstance(tree, ast.Call):
        raise LiteralError("not an argument list")
    return tree


def _place_keywords(positional: list, keywords: dict, signature: Optional[Signature]) -> list:
    if signature is None:
        raise LiteralError("keyword arguments need the function's signature")
    values = list(positional)
    for index, name in enumerate(signature.names[len(positional):], start=len(positional)):
        if name in keywords:
            values.append(keywords.pop(name))
        elif index < signature.required:
            raise LiteralError(f"missing argument {name!r}")
        else:
            break
    if keywords:
        raise LiteralError(f"unknown keyword argument(s) {sorted(keywords)}")
    return values


def _check_arity(count: int, signature: Signature) -> None:
    if count < signature.required or (count > len(signature.names) and not signature.varargs):
        expected = (str(signature.required) if signature.required == len(signature.names)
                    else f"{signature.required}-{len(signature.names)}")
        raise LiteralError(f"{count} argument(s) given, the function takes {expected}")


def arguments_literal(arguments: Sequence[Any]) -> str:
    """The normalised text of an argument tuple: "1, [2, 3]"."""
    return ", ".join(to_literal(a) for a in arguments)


def echoes_arguments(arguments: Sequence[Any], output_literal: str) -> bool:
    """Whether an output (literal text) is the call's arguments handed back unchanged: the one
    argument itself, or all of them, in order, as a tuple or a list (a trivial f)."""
    listed = arguments_literal(arguments)
    if len(arguments) == 1:
        return output_literal == listed
    return len(arguments) > 1 and output_literal in (f"({listed})", f"[{listed}]")


def arguments_of(literal: str) -> tuple[Any, ...]:
    """The argument tuple stored as `arguments_literal` text (our own records)."""
    if not literal.strip():
        return ()
    return tuple(from_literal(f"({literal},)"))


def value_of(literal: str) -> Any:
    """A value stored as literal text (our own records, e.g. gold outputs)."""
    return from_literal(literal)


def is_plain_data(value: Any, depth: int = 0) -> bool:
    """Whether `value` is made only of literal types (what survives repr/literal_eval)."""
    if depth > 100:
        return False
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes)):
        return True
    if isinstance(value, (list, tuple, set, frozenset)):
        return all(is_plain_data(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(is_plain_data(k, depth + 1) and is_plain_data(v, depth + 1) for k, v in value.items())
    return False
