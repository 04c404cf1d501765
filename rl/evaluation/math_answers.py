"""Grading of final math answers with Hugging Face's `math-verify` checker.

The model is asked to put its final answer in \\boxed{}. The last \\boxed{...} of the
answer (braces matched) is handed to `math-verify` alone, since the checker reads several
boxes as one set; without a box, `math-verify` extracts the final LaTeX or plain
expression from the whole answer. The gold answer is parsed as LaTeX; the checker decides
equivalence symbolically (fractions, decimals, radicals, expanded versus factored forms,
intervals, tuples). A checker failure counts as wrong.
"""
from __future__ import annotations

from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

FORMAT_INSTRUCTION = "Please reason step by step, and put your final answer within \\boxed{}."

_ANSWER_EXTRACTION = (LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig())
_GOLD_EXTRACTION = (LatexExtractionConfig(), ExprExtractionConfig())


def parse_gold(answer: str) -> list:
    """The gold answer as `math-verify` objects; a bare answer is read as inline LaTeX."""
    text = answer.strip()
    if not text.startswith("$") and "\\boxed" not in text:
        text = f"${text}$"
    return parse(text, extraction_config=_GOLD_EXTRACTION)


def last_boxed(text: str) -> str | None:
    """The last `\\boxed{...}` (or `\\fbox{...}`) of `text` with its braces matched, or None."""
    start = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    if start < 0:
        return None
    opening = text.find("{", start)
    if opening < 0:
        return None
    depth = 0
    for position in range(opening, len(text)):
        if text[position] == "{":
            depth += 1
        elif text[position] == "}":
            depth -= 1
            if depth == 0:
                return text[start:position + 1]
    return None  # unbalanced: cut off mid-answer


def grade_math_answer(gold: str, answer_text: str) -> tuple[bool, str]:
    """(correct, what was extracted) for one model answer against the gold answer."""
    try:
        gold_parsed = parse_gold(gold)
        if not gold_parsed:
            return False, f"gold answer {gold!r} could not be parsed"
        boxed = last_boxed(answer_text)
        answer_parsed = parse(f"${boxed}$" if boxed else answer_text, extraction_config=_ANSWER_EXTRACTION)
        if not answer_parsed:
            return False, "no final answer found"
        extracted = str(answer_parsed[-1])
        return bool(verify(gold_parsed, answer_parsed)), extracted
    except Exception as error:  # the checker's own failures (timeouts, sympy errors)
        return False, f"checker error: {type(error).__name__}"
