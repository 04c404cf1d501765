"""Builders of teacher outputs in the expected format, for the validation tests."""
FENCE = "```"


def block(label: str, text: str) -> str:
    return f"{FENCE}{label}\n{text}\n{FENCE}\n"


def teacher_text(code: str, inputs=(), message: str = "", witness: str = "") -> str:
    parts = ["Some reasoning first.\n", block("python", code)]
    parts += [block("input", text) for text in inputs]
    if witness:
        parts.append(block("witness", witness))
    if message:
        parts.append(block("message", message))
    return "".join(parts)
