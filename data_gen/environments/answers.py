"""Read the policy's answer: a program (induction, contest) or a literal (deduction's
output, abduction's and fuzzing's input).

Literals are read only with `ast.literal_eval` (via `literals`); text that is code, not
a literal, is an unparsable answer: reward 0, nothing runs. The answer is taken from an
`<answer>` part if there is one, else the last fenced block of the wanted kind (for code:
the last python block that defines a function or class, so a trailing usage example is
not taken for the answer), else an "Answer:"/"Output:"/"Input:" line, else the last `inline code` span, else the
whole text.
"""
from __future__ import annotations

import ast
import re
from typing import Optional

from data_gen.environments import literals, model_text
from data_gen.environments.base import AnswerFailure, ParsedAnswer
from data_gen.environments.teacher_output import split_fenced, strip_wrappers

MAX_ANSWER_CHARS = 50_000
_CODE_LABELS = ("python", "py", "python3", "")
_ANSWER_LINE = re.compile(r"^\s*[*_#\s]*(?:the\s+)?(?:final\s+)?(?:answer|output|input|result)[*_]*\s*(?:is)?\s*[:=]?"
                          r"\s*[*_]*\s*(.+?)\s*$", re.IGNORECASE)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")


def _answer_body(text: str) -> str:
    body, _ = strip_wrappers(text)
    return body


def extract_code(text: str, max_chars: int = MAX_ANSWER_CHARS) -> ParsedAnswer:
    """The program in an answer: the last python (or unlabelled) block that parses."""
    if not isinstance(text, str) or not text.strip():
        return ParsedAnswer.failed(AnswerFailure.EMPTY, "empty answer")
    if len(text) > max_chars:
        return ParsedAnswer.failed(AnswerFailure.TOO_LONG, f"answer longer than {max_chars} characters")
    body = _answer_body(text)
    blocks, _ = split_fenced(body)
    candidates = [b.text for b in blocks if b.label.lower() in _CODE_LABELS or b.kind == "code"]
    if not candidates and not blocks:
        candidates = [body]
    parsed = [(source, tree) for source, tree in ((s, _parse(s)) for s in candidates) if tree is not None]
    defining = [source for source, tree in parsed
                if any(isinstance(node, (ast.FunctionDef, ast.ClassDef)) for node in tree.body)]
    chosen = defining or [source for source, _ in parsed]  # a trailing usage example is not the answer
    if not chosen:
        return ParsedAnswer.failed(AnswerFailure.NO_CODE, "no python code block that parses")
    return ParsedAnswer(value=chosen[-1].strip("\n") + "\n")


def _parse(source: str) -> Optional[ast.Module]:
    if not source.strip():
        return None
    try:
        return model_text.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def _literal_candidates(text: str, labels: tuple[str, ...]) -> list[str]:
    body = _answer_body(text)
    blocks, outside = split_fenced(body)
    labelled = [b.text for b in blocks if b.label.lower().rstrip("0123456789 ") in labels]
    unlabelled = [b.text for b in blocks if not b.label]
    lines = [m.group(1).strip().rstrip(".").strip("`").strip() for m in map(_ANSWER_LINE.match, outside) if m]
    inline = [span for line in outside for span in _INLINE_CODE.findall(line)]
    candidates = labelled[::-1] + lines[::-1] + unlabelled[::-1] + inline[::-1]
    if not blocks and not lines:
        candidates.append(body.strip())
    return candidates


def extract_value(text: str, labels: tuple[str, ...] = ("output", "answer"),
                  max_chars: int = literals.MAX_LITERAL_CHARS) -> ParsedAnswer:
    """One literal value (deduction's predicted output)."""
    if not isinstance(text, str) or not text.strip():
        return ParsedAnswer.failed(AnswerFailure.EMPTY, "empty answer")
    if len(text) > MAX_ANSWER_CHARS:
        return ParsedAnswer.failed(AnswerFailure.TOO_LONG, f"answer longer than {MAX_ANSWER_CHARS} characters")
    error: Optional[str] = None
    for candidate in _literal_candidates(text, labels):
        try:
            return ParsedAnswer(value=literals.parse_literal(candidate, max_chars))
        except literals.LiteralError as failure:
            error = error or str(failure)
    return ParsedAnswer.failed(AnswerFailure.NOT_A_LITERAL, f"not a literal: {error or 'no answer found'}")


def extract_arguments(text: str, signature: Optional[literals.Signature], function_name: str = "f",
                      labels: tuple[str, ...] = ("input", "answer"),
                      max_chars: int = literals.MAX_LITERAL_CHARS) -> ParsedAnswer:
    """One argument tuple (abduction's and fuzzing's input), read against the signature."""
    if not isinstance(text, str) or not text.strip():
        return ParsedAnswer.failed(AnswerFailure.EMPTY, "empty answer")
    if len(text) > MAX_ANSWER_CHARS:
        return ParsedAnswer.failed(AnswerFailure.TOO_LONG, f"answer longer than {MAX_ANSWER_CHARS} characters")
    error: Optional[str] = None
    for candidate in _literal_candidates(text, labels):
        try:
            return ParsedAnswer(value=literals.parse_arguments(candidate, signature, function_name, max_chars))
        except literals.LiteralError as failure:
            error = error or str(failure)
    return ParsedAnswer.failed(AnswerFailure.NOT_A_LITERAL, f"not a literal input: {error or 'no answer found'}")


def function_signature(code: str, name: str) -> Optional[literals.Signature]:
    """The signature of top-level function `name` in `code`, or None."""
    try:
        tree = model_text.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    aliases = {target.id: node.value.id for node in tree.body if isinstance(node, ast.Assign)
               and isinstance(node.value, ast.Name) for target in node.targets if isinstance(target, ast.Name)}
    found = functions.get(name) or functions.get(aliases.get(name, ""))
    return literals.Signature.of(found) if found is not None else None
