"""Turn a teacher's text into an `Instance` or a `Rejection` with a reason code.

Shared by the synthetic environments, each of which states what it needs (which
functions, how many inputs, a message, a witness). Beyond `teacher_output`'s block
tolerance, this keeps only the definitions of the python blocks (imports, functions,
classes, assignments; top-level prints, asserts, demo calls, `__main__` blocks and
assignments that call the puzzle's own functions, such as `result = f(3)`, are dropped,
so they cannot fail or slow validation), renames a lone function to
`f` when `f` is the only one required, reads inputs against `f`'s signature (taking them
from usage examples such as `print(f(3))` when no input block exists), and rejects a
message that leaks the code. Never raises.
"""
from __future__ import annotations

import ast
import dataclasses
import re
from typing import Optional

from data_gen.environments import literals, model_text
from data_gen.environments.base import Instance, Rejection
from data_gen.environments.teacher_output import Block, read_blocks
from data_gen.records import RejectionReason as Reason

_KEPT_STATEMENTS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                    ast.Assign, ast.AnnAssign)


@dataclasses.dataclass(frozen=True)
class InstanceRequirements:
    """What one environment needs from a teacher output."""

    environment: str
    functions: tuple[str, ...] = ("f",)
    input_function: str = "f"          # whose signature the inputs are read against
    min_inputs: int = 1
    max_inputs: int = 10
    needs_message: bool = False
    needs_witness: bool = False
    max_literal_chars: int = literals.MAX_LITERAL_CHARS


def read_instance(text: str, needs: InstanceRequirements) -> "Instance | Rejection":
    """Parse and check one teacher output against `needs`; never raises."""
    try:
        return _read_instance(text, needs)
    except (RecursionError, MemoryError) as error:
        return Rejection(Reason.SYNTAX_ERROR, f"output too deeply nested or too large to read ({type(error).__name__})")


def _read_instance(text: str, needs: InstanceRequirements) -> "Instance | Rejection":
    blocks = read_blocks(text)
    notes = list(blocks.notes)

    def missing(reason: str, diagnostic: str) -> Rejection:
        if blocks.truncated:
            return Rejection(Reason.TRUNCATED, f"output ends inside an unclosed block; {diagnostic}")
        return Rejection(reason, diagnostic)

    if not blocks.code:
        return missing(Reason.NO_CODE, "no ```python block with the function(s) "
                       + ", ".join(needs.functions) + " was found")
    code = _definitions_only(blocks.code, notes)
    if isinstance(code, Rejection):
        return missing(code.reason, code.diagnostic) if blocks.truncated else code
    code, functions = code
    if needs.functions == ("f",) and "f" not in functions and len(functions) == 1:
        (only,) = functions
        code += f"\n\nf = {only}\n"
        functions = {**functions, "f": functions[only]}
        notes.append(f"function {only!r} used as f")
    absent = [name for name in needs.functions if name not in functions]
    if absent:
        return missing(Reason.MISSING_FUNCTION, "the python block does not define " + ", ".join(absent))

    message = ""
    if needs.needs_message:
        if not blocks.messages:
            return missing(Reason.NO_MESSAGE, "no ```message block with a hint for the solver was found")
        message = blocks.messages[0]
        leak = _message_leak(message, code)
        if leak:
            return Rejection(Reason.MESSAGE_LEAKS_CODE, leak)

    signature = literals.Signature.of(functions[needs.input_function])
    input_blocks = list(blocks.inputs)
    witness = witness_literal = None
    if needs.needs_witness:
        if blocks.witnesses:
            witness_text = blocks.witnesses[0]
        elif len(input_blocks) == 1:
            witness_text = input_blocks.pop().text
            notes.append("the only input block read as the witness")
        else:
            return missing(Reason.NO_WITNESS, "no ```witness block with an input that breaks test_f was found")
        try:
            witness = literals.parse_arguments(witness_text, signature, needs.input_function,
                                               needs.max_literal_chars)
        except literals.LiteralError as error:
            return Rejection(Reason.BAD_INPUT_LITERAL, f"witness {_clip(witness_text)!r}: {error}")
        witness_literal = literals.arguments_literal(witness)

    if not input_blocks and needs.min_inputs:
        input_blocks = _inputs_from_example_calls(blocks.code, needs.input_function)
        if input_blocks:
            notes.append(f"read inputs from example calls of {needs.input_function} in the code")
    inputs = _read_inputs(input_blocks, signature, needs) if needs.max_inputs else []
    if isinstance(inputs, Rejection):
        return inputs
    if needs.min_inputs and not inputs:
        return missing(Reason.NO_INPUTS, "no ```input block was found")
    if len(inputs) < needs.min_inputs:
        return missing(Reason.TOO_FEW_INPUTS, f"{len(inputs)} distinct input(s) given, at least "
                       f"{needs.min_inputs} needed")
    if len(inputs) > needs.max_inputs:
        notes.append(f"kept the first {needs.max_inputs} of {len(inputs)} inputs")
        inputs = inputs[: needs.max_inputs]
    return Instance(
        environment=needs.environment,
        code=code,
        inputs=tuple(args for args, _ in inputs),
        input_literals=tuple(literal for _, literal in inputs),
        message=message,
        witness=witness,
        witness_literal=witness_literal,
        notes=tuple(notes),
    )


def _definitions_only(code_blocks: tuple[str, ...], notes: list) -> "tuple[str, dict] | Rejection":
    """Join the python blocks, keep only definitions; returns code and top-level functions."""
    kept, functions, errors, trees = [], {}, [], []
    for source in code_blocks:
        try:
            trees.append((source, model_text.parse(source)))
        except SyntaxError as error:
            errors.append(f"line {error.lineno}: {error.msg}")
    defined = {node.name for _, tree in trees for node in tree.body
               if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    for source, tree in trees:
        lines = source.split("\n")
        shared = _lines_with_several_statements(tree)
        for node in tree.body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and _calls_any(node, defined):
                notes.append("dropped a top-level assignment that calls the puzzle's own code")
            elif isinstance(node, _KEPT_STATEMENTS):
                kept.append(_statement_source(node, lines, shared))
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    functions[node.name] = node
            else:
                notes.append(f"dropped top-level {type(node).__name__.lower()} statement")
    if not functions:
        if errors:
            return Rejection(Reason.SYNTAX_ERROR, "the python block does not parse: " + "; ".join(errors[:3]))
        return Rejection(Reason.NO_CODE, "the python block defines no function")
    if errors:
        notes.append(f"skipped {len(errors)} python block(s) that do not parse")
    code = "\n\n".join(kept) + "\n"
    try:
        model_text.parse(code)
    except SyntaxError as error:  # e.g. an indented method pasted alone
        return Rejection(Reason.SYNTAX_ERROR,
                         f"the joined python blocks do not parse: line {error.lineno}: {error.msg}")
    return code, functions


def _calls_any(node: ast.AST, names: set) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in names for n in ast.walk(node))


def _inputs_from_example_calls(code_blocks: tuple[str, ...], function_name: str) -> list[Block]:
    """Inputs written as usage examples (`print(f(3))`, `assert f(3) == 9`, or `items = [3, 1]`
    then `f(items)`) when no input block exists: every call of the function outside any def
    whose arguments are literals or names bound to literals earlier at the top level."""
    found = []
    for source in code_blocks:
        try:
            tree = model_text.parse(source)
        except SyntaxError:
            continue
        constants: dict[str, str] = {}
        for statement in tree.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            for node in ast.walk(statement):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == function_name
                        and not node.keywords):
                    arguments = [_literal_source(argument, constants) for argument in node.args]
                    if node.args and all(a is not None for a in arguments):
                        found.append(Block("input", "example call", ", ".join(arguments)))
            if (isinstance(statement, ast.Assign) and len(statement.targets) == 1
                    and isinstance(statement.targets[0], ast.Name)):
                value = _literal_source(statement.value, constants)
                if value is None:
                    constants.pop(statement.targets[0].id, None)
                else:
                    constants[statement.targets[0].id] = value
    return found


def _literal_source(node: ast.AST, constants: dict) -> Optional[str]:
    """The source of a literal expression, or of the literal a name was bound to; else None."""
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    return ast.unparse(node) if _all_literals([node]) else None


def _all_literals(nodes: list) -> bool:
    try:
        for node in nodes:
            ast.literal_eval(node)
        return True
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return False


def _lines_with_several_statements(tree: ast.Module) -> set:
    seen, shared = set(), set()
    for node in tree.body:
        for line in (node.lineno, node.end_lineno):
            (shared if line in seen else seen).add(line)
    return shared


def _statement_source(node: ast.stmt, lines: list[str], shared: set) -> str:
    """A top-level statement's text as written (decorators and comments inside kept)."""
    decorators = getattr(node, "decorator_list", [])
    start = min([node.lineno] + [d.lineno for d in decorators])
    if start in shared or node.end_lineno in shared or node.end_lineno is None:
        return ast.unparse(node)
    return "\n".join(lines[start - 1:node.end_lineno])


def _read_inputs(blocks: list[Block], signature: literals.Signature,
                 needs: InstanceRequirements) -> "list[tuple[tuple, str]] | Rejection":
    found: list[tuple[tuple, str]] = []
    seen = set()
    for block in blocks:
        texts = [block.text]
        if block.plural:
            texts = [line for line in block.text.splitlines() if line.strip()] or texts
        parsed = []
        for text in texts:
            try:
                parsed.append(literals.parse_arguments(text, signature, needs.input_function,
                                                       needs.max_literal_chars))
            except literals.LiteralError as error:
                lines = [line for line in text.splitlines() if line.strip()]
                per_line = _each_line(lines, signature, needs) if len(lines) > 1 else None
                if per_line is None:
                    return Rejection(Reason.BAD_INPUT_LITERAL, f"input {_clip(text)!r}: {error}")
                parsed.extend(per_line)
        for args in parsed:
            literal = literals.arguments_literal(args)
            if literal not in seen:
                seen.add(literal)
                found.append((args, literal))
    return found


def _each_line(lines, signature, needs) -> Optional[list]:
    try:
        return [literals.parse_arguments(line, signature, needs.input_function, needs.max_literal_chars)
                for line in lines]
    except literals.LiteralError:
        return None


def _message_leak(message: str, code: str) -> Optional[str]:
    """A diagnostic if the hint contains the code (a def, a fence, or a line of the body)."""
    if re.search(r"^\s*(def|class)\s+\w+\s*\(|```", message, re.MULTILINE):
        return "the message contains code; it must describe the task in words only"
    message_lines = {line.strip() for line in message.splitlines()}
    for line in code.splitlines():
        stripped = line.strip()
        if len(stripped) >= 16 and not stripped.startswith(("#", '"', "'")) and stripped in message_lines:
            return f"the message repeats a line of f's code: {_clip(stripped)!r}"
    return None


def _clip(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."
