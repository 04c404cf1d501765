"""Split a teacher's raw text into labelled blocks, tolerating what real models write.

The expected format (the paper's) is reasoning, then fenced blocks: ```python (the
functions), one ```input per input, ```message (the hint), ```witness (fuzzing).
Tolerated: CRLF, `<think>`/`<answer>` wrappers, blocks in any order, unlabelled fences
(labelled from a heading just above, else by content), labels such as `Input 2` or
`inputs`, a python-labelled block that is really a call `f(3)`, several python blocks,
no fences at all (a `def` run of lines plus "Input: ..." / "Message: ..." lines), and
an unclosed last block (kept but flagged, so missing parts read as truncation).
This module never raises on any text.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Optional

from data_gen.environments import model_text

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})\s*([^`]*?(?:`{3,})?)\s*$")
_HEADING = re.compile(r"^[\s#*_>-]*(python|code|functions?|inputs?|message|hint|witness|outputs?)"
                      r"\b[\s\d:.*_)(-]*$", re.IGNORECASE)
_LABELS = {
    "python": "code", "py": "code", "python3": "code", "code": "code", "function": "code",
    "functions": "code", "input": "input", "inputs": "input", "args": "input", "message": "message",
    "hint": "message", "msg": "message", "witness": "witness", "output": "output", "outputs": "output",
}
_LINE_FIELD = re.compile(r"^\s*[*_-]*\s*(input|inputs|message|hint|witness)\s*\d*\s*[*_]*\s*[:=]\s*(.+)$",
                         re.IGNORECASE)


@dataclasses.dataclass(frozen=True)
class Block:
    """One fenced block: its kind (code, input, message, witness, output, or unknown),
    the label as written, its text, and whether its closing fence was missing."""

    kind: str
    label: str
    text: str
    closed: bool = True
    plural: bool = False  # labelled "inputs": may hold one input per line


@dataclasses.dataclass(frozen=True)
class TeacherBlocks:
    """Everything found in a teacher's text, grouped by kind, with notes on what was tolerated."""

    code: tuple[str, ...] = ()
    inputs: tuple[Block, ...] = ()
    messages: tuple[str, ...] = ()
    witnesses: tuple[str, ...] = ()
    truncated: bool = False
    notes: tuple[str, ...] = ()


def strip_wrappers(text: str) -> tuple[str, list[str]]:
    """Normalise line ends and keep the `<answer>` part (or drop closed `<think>` parts)."""
    notes = []
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    answer = re.search(r"<answer>(.*?)(?:</answer>|$)", text, re.DOTALL | re.IGNORECASE)
    if answer and answer.group(1).strip():
        notes.append("read the <answer> part")
        return answer.group(1), notes
    without_thinking = re.sub(r"<think>.*?</think>", "", text, flags=re.DOTALL | re.IGNORECASE)
    if without_thinking != text:
        notes.append("dropped <think> part")
    return without_thinking, notes


def _label_kind(label: str) -> tuple[str, bool]:
    word = re.sub(r"[^a-z0-9]+", " ", label.lower()).split()
    if not word:
        return "", False
    first = re.sub(r"\d+$", "", word[0])
    return _LABELS.get(first, "unknown"), first in ("inputs", "args")


def split_fenced(text: str) -> tuple[list[Block], list[str]]:
    """Fenced blocks in order, each labelled; plus the lines outside any fence."""
    blocks, outside = [], []
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if not match:
            outside.append(lines[index])
            index += 1
            continue
        fence, label = match.group(1), match.group(2)
        inline_close = label.endswith(fence[0] * 3)
        heading = _heading_above(outside)
        body: list[str] = []
        closed = False
        index += 1
        if inline_close:  # ```5, 3``` on one line
            body, label, closed = [label.rstrip(fence[0])], "", True
        while not closed and index < len(lines):
            line = lines[index]
            if re.match(r"^\s{0,3}" + re.escape(fence[0]) + "{%d,}\\s*$" % len(fence), line):
                closed = True
            elif line.rstrip().endswith(fence) and not line.strip().startswith(fence):
                body.append(line.rstrip()[: -len(fence)])  # closing fence glued to the last line
                closed = True
            else:
                body.append(line)
            index += 1
        kind, plural = _label_kind(label)
        if not kind and heading:
            kind, plural = _label_kind(heading)
        blocks.append(Block(kind or "", label, "\n".join(body).strip("\n"), closed, plural))
        outside.append("")
    return blocks, outside


def _heading_above(outside: list[str]) -> Optional[str]:
    for line in reversed(outside[-3:]):
        if line.strip():
            found = _HEADING.match(line.strip())
            return found.group(1) if found else None
    return None


def _looks_like_code(text: str) -> bool:
    if not re.search(r"^\s*(def|class|import|from)\s", text, re.MULTILINE):
        return False
    try:
        model_text.parse(text)
        return True
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return "def " in text


def _looks_like_literal(text: str) -> bool:
    try:
        model_text.parse(f"__call__({text}\n)", mode="eval")
        return "def " not in text
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False


def _unfenced_code(lines: list[str]) -> Optional[str]:
    """The first run of lines starting at a top-level def/import that parses as Python."""
    starts = [i for i, line in enumerate(lines) if re.match(r"^(def|import|from|class)\s", line)]
    if not starts:
        return None
    start = starts[0]
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t"
                                or re.match(r"^(def|import|from|class|@)", lines[end])):
        end += 1
    candidate = "\n".join(lines[start:end]).strip("\n")
    return candidate or None


def read_blocks(text: str) -> TeacherBlocks:
    """Group a teacher's text into code, input, message and witness parts; never raises."""
    try:
        return _read_blocks(text if isinstance(text, str) else "")
    except (RecursionError, MemoryError):
        return TeacherBlocks(notes=("text too deeply nested to read",))


def _read_blocks(text: str) -> TeacherBlocks:
    body, notes = strip_wrappers(text)
    blocks, outside = split_fenced(body)
    code, inputs, messages, witnesses = [], [], [], []
    truncated = False
    for block in blocks:
        if not block.closed:
            truncated = True
            notes.append(f"unclosed {block.kind or 'unlabelled'} block at the end")
        if not block.text.strip():
            continue
        kind = block.kind
        if kind == "code" and not _looks_like_code(block.text) and _looks_like_literal(block.text):
            kind = "input"
            notes.append("python block without a def read as an input")
        if kind in ("", "unknown"):
            if _looks_like_code(block.text):
                kind = "code"
            elif _looks_like_literal(block.text):
                kind = "input"
            else:
                kind = "message"
            notes.append(f"unlabelled block read as {kind}")
        if kind == "code":
            code.append(block.text)
        elif kind == "input":
            inputs.append(Block("input", block.label, block.text, block.closed, block.plural))
        elif kind == "message":
            messages.append(block.text.strip())
        elif kind == "witness":
            witnesses.append(block.text.strip())
        elif kind == "output":
            notes.append("ignored a teacher-written output block (gold outputs come from running f)")
    if not code:
        unfenced = _unfenced_code(outside)
        if unfenced:
            code.append(unfenced)
            notes.append("read code outside any fence")
    for line in outside:
        field = _LINE_FIELD.match(line)
        if not field:
            continue
        kind, value = field.group(1).lower(), field.group(2).strip().strip("`").strip()
        if kind.startswith("input") and not inputs and value:
            inputs.append(Block("input", "line", value))
        elif kind in ("message", "hint") and not messages and value:
            messages.append(value)
        elif kind == "witness" and not witnesses and value:
            witnesses.append(value)
    if any(b.label == "line" for b in inputs):
        inputs = [b for b in inputs if b.label != "line"] or _all_line_inputs(outside)
        notes.append("read inputs from 'Input:' lines")
    return TeacherBlocks(tuple(code), tuple(inputs), tuple(messages), tuple(witnesses), truncated, tuple(notes))


def _all_line_inputs(outside: list[str]) -> list[Block]:
    found = []
    for line in outside:
        field = _LINE_FIELD.match(line)
        if field and field.group(1).lower().startswith("input"):
            found.append(Block("input", "line", field.group(2).strip().strip("`").strip()))
    return found
