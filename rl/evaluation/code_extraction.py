"""Extraction of a program from a model's chat answer (fenced blocks, prose around them).

Instruction-tuned models answer with prose and one or more fenced blocks, sometimes cut
off before the closing fence. The program is the first block that defines the wanted
function (when one is named), else the first Python block, else the whole answer.
"""
from __future__ import annotations

import re
from typing import Optional

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\r?\n(.*?)(?:```|\Z)", re.DOTALL)
_PYTHON_TAGS = ("", "python", "py", "python3")


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(language tag, body) of every fenced block, an unclosed last block included."""
    return [(tag.lower(), body) for tag, body in _FENCE.findall(text.replace("\r\n", "\n"))]


def extract_program(text: str, entry_point: Optional[str] = None) -> str:
    """The program a model's answer contains; see the module docstring for the order."""
    blocks = [body for tag, body in fenced_blocks(text) if tag in _PYTHON_TAGS]
    if entry_point is not None:
        definition = re.compile(rf"^\s*(async\s+)?def\s+{re.escape(entry_point)}\s*\(", re.MULTILINE)
        for body in blocks:
            if definition.search(body):
                return body.rstrip() + "\n"
    if blocks:
        return blocks[0].rstrip() + "\n"
    return text.replace("\r\n", "\n").rstrip() + "\n"
