"""Load real contest problems from JSONL into `Problem` records (environment `contest`).

Two line formats, told apart per line:
- LiveCodeBench's released format (`question_content` present): `question_title`,
  `question_id`, `platform`, `contest_date`, `difficulty`, `starter_code`,
  `public_test_cases` and `private_test_cases` (JSON text of a list of
  {input, output, testtype: stdin|functional}; the private list may be compressed as
  base64(zlib(pickle(JSON text)))), `metadata` (JSON text with `func_name`). Functional
  tests hold one JSON value per line of `input` (the arguments) and a JSON `output`.
- A plain format (`statement` present): `id`, `statement`, `test_mode` (stdio or
  function), `entry_point`, `starter_code`, `difficulty`, `contest_date`, and `tests`:
  [{input, output}] with stdin/stdout text, or argument-list and value literals.
Files may be gzip-compressed (.gz). A malformed line is skipped and counted with its
reason, never fatal. The compressed private tests are unpickled with an unpickler that
refuses every class, so only plain strings and containers can come out of them.
"""
from __future__ import annotations

import ast
import base64
import collections
import dataclasses
import gzip
import io
import json
import pickle
import zlib
from typing import Any, Iterator

from data_gen.environments import literals
from data_gen.records import Problem, content_id
from sandbox.transport import to_literal


class ContestFormatError(ValueError):
    """A line that is not a contest problem in either format."""


@dataclasses.dataclass(frozen=True)
class ContestSet:
    """The problems read from a file and how many lines were skipped, by reason."""

    problems: tuple[Problem, ...]
    skipped: dict

    @property
    def num_skipped(self) -> int:
        return sum(self.skipped.values())


class _PlainDataUnpickler(pickle.Unpickler):
    """An unpickler that refuses every global: only built-in plain values can be built."""

    def find_class(self, module: str, name: str):
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from test data")


def decode_test_cases(field: Any) -> list[dict]:
    """LiveCodeBench test cases from JSON text, a list, or base64(zlib(pickle(JSON text)))."""
    if isinstance(field, list):
        return field
    if not isinstance(field, str) or not field.strip():
        return []
    try:
        decoded = json.loads(field)
    except json.JSONDecodeError:
        try:
            raw = zlib.decompress(base64.b64decode(field.encode("ascii"), validate=False))
            decoded = _PlainDataUnpickler(io.BytesIO(raw)).load()
        except Exception as error:  # noqa: BLE001 - any decoding failure is a format error
            raise ContestFormatError(f"test cases are neither JSON nor compressed JSON ({type(error).__name__})")
        if isinstance(decoded, (bytes, str)):
            decoded = json.loads(decoded)
    if not isinstance(decoded, list):
        raise ContestFormatError("test cases are not a list")
    return decoded


def _json_or_literal(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        try:
            return ast.literal_eval(text.strip())
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            raise ContestFormatError(f"test value is neither JSON nor a literal: {text[:40]!r}") from None


def _functional_arguments(text: str) -> tuple:
    return tuple(_json_or_literal(line) for line in text.split("\n") if line.strip())


def from_livecodebench(record: dict) -> Problem:
    """One LiveCodeBench record as a contest Problem."""
    tests = decode_test_cases(record.get("public_test_cases", "[]"))
    num_public = len(tests)
    tests += decode_test_cases(record.get("private_test_cases", ""))
    if not tests:
        raise ContestFormatError("no test cases")
    kinds = {test.get("testtype", "stdin") for test in tests}
    if len(kinds) != 1:
        raise ContestFormatError(f"mixed test types {sorted(kinds)}")
    metadata = record.get("metadata") or {}
    if isinstance(metadata, str):
        metadata = json.loads(metadata) if metadata.strip() else {}
    functional = kinds == {"functional"}
    if functional:
        entry_point = metadata.get("func_name")
        if not entry_point:
            raise ContestFormatError("functional problem without metadata.func_name")
        inputs = tuple(literals.arguments_literal(_functional_arguments(t["input"])) for t in tests)
        outputs = tuple(to_literal(_json_or_literal(t["output"])) for t in tests)
    else:
        entry_point = None
        inputs = tuple(str(t["input"]) for t in tests)
        outputs = tuple(str(t["output"]) for t in tests)
    key = f"{record.get('platform', '')}:{record.get('question_id', '')}:{record.get('question_title', '')}"
    return Problem(
        id=content_id("contest", key, record["question_content"]),
        environment="contest",
        provenance="real",
        statement=record["question_content"],
        inputs=inputs,
        outputs=outputs,
        num_visible=num_public,
        entry_point=entry_point,
        test_mode="function" if functional else "stdio",
        extra={
            "title": record.get("question_title", ""),
            "platform": record.get("platform", ""),
            "question_id": str(record.get("question_id", "")),
            "contest_date": str(record.get("contest_date", "")),
            "difficulty": record.get("difficulty", ""),
            "starter_code": record.get("starter_code", "") or "",
        },
    )


def from_plain(record: dict) -> Problem:
    """One plain-format record as a contest Problem."""
    mode = record.get("test_mode", "stdio")
    if mode not in ("stdio", "function"):
        raise ContestFormatError(f"test_mode {mode!r} is not stdio or function")
    tests = record.get("tests") or []
    if not tests:
        raise ContestFormatError("no tests")
    if mode == "function":
        if not record.get("entry_point"):
            raise ContestFormatError("function problem without entry_point")
        try:
            inputs = tuple(literals.arguments_literal(literals.parse_arguments(str(t["input"]))) for t in tests)
            outputs = tuple(to_literal(literals.parse_literal(str(t["output"]))) for t in tests)
        except literals.LiteralError as error:
            raise ContestFormatError(f"a test is not a literal: {error}") from None
    else:
        inputs = tuple(str(t["input"]) for t in tests)
        outputs = tuple(str(t["output"]) for t in tests)
    return Problem(
        id=str(record.get("id") or content_id("contest", record["statement"])),
        environment="contest",
        provenance="real",
        statement=record["statement"],
        inputs=inputs,
        outputs=outputs,
        num_visible=int(record.get("num_public", 0)),
        entry_point=record.get("entry_point"),
        test_mode=mode,
        extra={"title": record.get("title", ""), "difficulty": record.get("difficulty", ""),
               "contest_date": str(record.get("contest_date", "")),
               "starter_code": record.get("starter_code", "") or ""},
    )


def problem_from_record(record: Any) -> Problem:
    """A contest Problem from one parsed JSON line in either format."""
    if not isinstance(record, dict):
        raise ContestFormatError("line is not a JSON object")
    try:
        if "question_content" in record:
            return from_livecodebench(record)
        if "statement" in record:
            return from_plain(record)
    except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as error:
        raise ContestFormatError(f"malformed record ({type(error).__name__}: {error})") from None
    raise ContestFormatError("neither question_content (LiveCodeBench) nor statement (plain) present")


def _lines(path: str) -> Iterator[str]:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
        yield from handle


def load_contest_problems(path: str, limit: int = 0, difficulties: tuple[str, ...] = (),
                          start_date: str = "", end_date: str = "") -> ContestSet:
    """Read `path` (JSONL, optionally .gz). `limit` keeps the first N (0 = all); the
    difficulty and inclusive ISO date filters apply where the fields are present."""
    try:
        lines = list(_lines(path))
    except FileNotFoundError:
        raise FileNotFoundError(f"contest problem file {path!r} does not exist; point the config at a "
                                "LiveCodeBench-format or plain JSONL file") from None
    problems, skipped = [], collections.Counter()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            problem = problem_from_record(json.loads(line))
        except json.JSONDecodeError:
            skipped["not JSON" if number < len(lines) else "torn last line"] += 1
            continue
        except ContestFormatError as error:
            skipped[str(error).split(" (")[0][:80]] += 1
            continue
        if not _selected(problem, difficulties, start_date, end_date):
            continue
        problems.append(problem)
        if limit and len(problems) >= limit:
            break
    return ContestSet(tuple(problems), dict(skipped))


def _selected(problem: Problem, difficulties: tuple[str, ...], start_date: str, end_date: str) -> bool:
    if difficulties and problem.extra.get("difficulty") not in difficulties:
        return False
    date = str(problem.extra.get("contest_date", ""))[:10]
    if date and start_date and date < start_date[:10]:
        return False
    if date and end_date and date > end_date[:10]:
        return False
    return True


def to_plain_record(problem: Problem) -> dict:
    """A contest Problem in the plain format (what `from_plain` reads back)."""
    return {
        "id": problem.id, "statement": problem.statement, "test_mode": problem.test_mode,
        "entry_point": problem.entry_point, "num_public": problem.num_visible,
        "tests": [{"input": i, "output": o} for i, o in zip(problem.inputs, problem.outputs)],
        **{key: problem.extra.get(key, "") for key in ("title", "difficulty", "contest_date", "starter_code")},
    }
