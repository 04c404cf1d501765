"""Output skeletons: the frame a teacher's reply must follow, as regular expressions for
structured decoding (`GenerationRequest.constraint`). Each environment keeps its skeleton
beside its prompt template, so the format has one source.

A reply is decoded in two parts. The head is the python block: its fences and the `def`
lines of the required functions, in order, with free bodies (imports, helpers and UPPER_CASE
constants allowed at top level before each required function; no top-level calls, prints or
comments; no backticks; a helper may not take a required function's name). The last required
function's body ends the block: once it returns to the top level, the only way on is the
closing fence. That is where a small teacher used to loop, writing one more `def` after
another until the token limit. Once f is written, the tail is built from f's signature: exactly
`input_count` blocks (labelled `input`, or `witness` for fuzzing), each holding exactly
one literal per required parameter separated by ", ", then the message block (one sentence) where
the environment needs one. Constrain the frame, not the thinking: bodies and the message
are free text.

Literals are held to a loose, small grammar (a number, a quoted string, True/False/None, or
a bracketed container of those nested at most two deep) so the automaton stays at a few
hundred states; `ast.literal_eval` on the host still decides what the literal is.
"""
from __future__ import annotations

import ast
import dataclasses
import re
from typing import Optional

from data_gen.environments import model_text
from rl.generation.types import Completion, GenerationRequest

_ATOM = r"(?:-?[0-9][0-9._eE+-]*|'[^'\n`\\]*'|\"[^\"\n`\\]*\"|True|False|None)"
_OPEN, _CLOSE = r"[\[\(\{]", r"[\]\)\}]"
_SEPARATOR = r"[,: ]"
_INNER = rf"(?:{_ATOM}|{_SEPARATOR})*"
LITERAL = rf"(?:{_ATOM}|{_OPEN}(?:{_ATOM}|{_SEPARATOR}|{_OPEN}{_INNER}{_CLOSE})*{_CLOSE})"
"""One argument literal, loosely: a number, a quoted string, True/False/None, or a bracketed
container of those nested at most two deep (no names, no calls; bracket kinds and commas are
left to the host's literal_eval)."""

MESSAGE_LINE = r"[^`\n.]+\.?"
"""The hint: one line, ended by its first full stop at the latest (a rambling message cannot run on)."""

_REST = r"[^`\n]*"
_INDENTED = rf"(?:    |\t){_REST}"
"""A line indented by four spaces or a tab: a body's, or a continuation's. (A line opened by one
space is how a small teacher slipped top-level statements past the frame, and it breaks the
block's indentation.)"""
_BODY_LINE = rf"(?:{_INDENTED}|)\n"
"""An indented or blank line."""


def _identifier_except(names: tuple[str, ...]) -> str:
    """A regex for Python identifiers other than `names` (a regular language: the
    complement of a finite set, spelled out over the names' trie)."""
    first = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"
    later = first + "0123456789"

    def node(prefix: str) -> str:
        children = sorted({name[len(prefix)] for name in names
                           if name.startswith(prefix) and len(name) > len(prefix)})
        alphabet = first if not prefix else later
        options = [] if not prefix or prefix in names else [""]
        options += [re.escape(c) + node(prefix + c) for c in children]
        others = "".join(c for c in alphabet if c not in children)
        options.append(f"[{others}][A-Za-z0-9_]*")
        return "(?:" + "|".join(options) + ")"

    return node("")


def _top_level_line(required: tuple[str, ...]) -> str:
    """One line of the python block before a required function: indented, a helper
    definition (not named like a required function), a class, an import, a decorator, an
    UPPER_CASE constant, or blank (no top-level calls, prints, demos or comment runs)."""
    return (rf"(?:{_INDENTED}|def {_identifier_except(required)}\({_REST}|class {_REST}|import {_REST}"
            rf"|from {_REST}|@{_REST}|[A-Z_][A-Z0-9_]* ?= ?{_REST}|)\n")


@dataclasses.dataclass(frozen=True)
class OutputSkeleton:
    """The fenced blocks of one environment's teacher reply."""

    functions: tuple[str, ...] = ("f",)        # defined in this order in the python block
    input_function: str = "f"                  # whose required parameters the input literals fill
    input_label: str = "input"                 # "input", or "witness" (fuzzing)
    input_count: int = 1                       # exact number of input blocks
    message: bool = False                      # a ```message block after the inputs

    @property
    def tail_blocks(self) -> int:
        """How many fenced blocks the tail holds: the inputs (or witness) and the message."""
        return self.input_count + int(self.message)

    def head_regex(self) -> str:
        """The python block with the required definitions; the reply's first part."""
        line = _top_level_line(self.functions)
        defs = "".join(rf"(?:{line})*def {re.escape(name)}\({self._first_parameter(name)}{_REST}\n"
                       for name in self.functions)
        return rf"```python\n{defs}(?:{_BODY_LINE})*```\n"

    def _first_parameter(self, name: str) -> str:
        """The input function takes at least one parameter (an f() has no input to give)."""
        return r"[A-Za-z_*]" if name == self.input_function else ""

    def tail_regex(self, arity: Optional[int]) -> str:
        """The input blocks (one literal per parameter; any number of literals, at least one,
        when the arity is unknown) and the message block; the reply's second part."""
        if arity is None or arity < 1:
            arguments = rf"{LITERAL}(?:, {LITERAL})*"
        else:
            arguments = ", ".join([LITERAL] * arity)
        block = rf"```{self.input_label}\n{arguments}\n```"
        blocks = "\n".join([block] * self.input_count)
        if self.message:
            blocks += rf"\n```message\n{MESSAGE_LINE}\n```"
        return blocks

    def arity_of(self, head_text: str) -> Optional[int]:
        """The number of required positional parameters of `input_function` in the head, or
        None when it does not parse or takes *args."""
        code = head_text.strip()
        code = code[len("```python"):] if code.startswith("```python") else code
        code = code[: code.rfind("```")] if code.rstrip().endswith("```") else code
        try:
            tree = model_text.parse(code)
        except (SyntaxError, ValueError):
            return None
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == self.input_function:
                arguments = node.args
                if arguments.vararg is not None:
                    return None
                positional = arguments.posonlyargs + arguments.args
                return max(1, len(positional) - len(arguments.defaults))
        return None


async def generate_in_skeleton(client, request: GenerationRequest, skeleton: OutputSkeleton,
                               tail_tokens_per_block: int = 0) -> Completion:
    """One teacher reply decoded under `skeleton`: the head (python block), then the tail
    built from f's signature, continuing the head as the reply's prefix. Returns one
    `Completion` whose text is head + tail (after the request's own response_prefix), with
    both calls' tokens counted. The head may use up to the request's max_new_tokens, the tail
    up to `tail_tokens_per_block` for each of its blocks (0: the request's max_new_tokens for
    the whole tail); a head cut by the token
    limit is returned as it is."""
    head_request = dataclasses.replace(request, n=1, constraint=skeleton.head_regex())
    head = (await client.agenerate([head_request]))[0].completions[0]
    if head.finish_reason != "stop":
        return dataclasses.replace(head, finish_reason="length")
    # The tail gets a fixed token limit (not what the head left over), so every tail of a
    # batch shares one decode shape and compiled loop.
    tail_request = dataclasses.replace(
        request, n=1, response_prefix=request.response_prefix + head.text,
        max_new_tokens=tail_tokens_per_block * skeleton.tail_blocks or request.max_new_tokens,
        constraint=skeleton.tail_regex(skeleton.arity_of(head.text)))
    tail = (await client.agenerate([tail_request]))[0].completions[0]
    return Completion(text=head.text + tail.text, prompt_tokens=head.prompt_tokens,
                      completion_tokens=head.completion_tokens + tail.completion_tokens,
                      finish_reason=tail.finish_reason)
