"""SPEC.json for `python -m sandbox check`: one spec, read into jobs for each solution.

    {"mode": "function", "entry_point": "f", "tests": [{"args": [...], "expected": ...}]}
    {"mode": "stdio", "tests": [{"stdin": "...", "expected": "..."}]}
    {"mode": "assert", "entry_point": "f", "test_code": "..."}
    optional: "limits": {"wall_time_per_test_s": 4, "memory_mb": 512, ...} (sandbox.types.Limits)

JSON has no tuples: `args` is a JSON list of positional arguments (each passed as
parsed from JSON), and a tuple the function returns equals a JSON list (see
`sandbox.compare`).
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from sandbox.types import FunctionTest, Job, Limits, StdioTest


class SpecError(ValueError):
    """A malformed spec; the message names the field."""


def load_spec(path: str) -> dict:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise SpecError(f"cannot read spec {path!r}: {error.strerror}") from None
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as error:
        raise SpecError(f"spec {path!r} is not valid JSON: {error}") from None
    if not isinstance(spec, dict):
        raise SpecError(f"spec {path!r} must be a JSON object with a 'mode' field")
    return spec


def parse_limits(raw) -> Limits:
    if raw is None:
        return Limits()
    if not isinstance(raw, dict):
        raise SpecError("spec field 'limits' must be an object")
    known = {field.name: field.type for field in dataclasses.fields(Limits)}
    for name, value in raw.items():
        if name not in known:
            raise SpecError(f"spec field 'limits.{name}' is unknown; known: {sorted(known)}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise SpecError(f"spec field 'limits.{name}' must be a positive number")
    return dataclasses.replace(Limits(), **{name: type(getattr(Limits(), name))(value)
                                            for name, value in raw.items()})


def job_for(spec: dict, code: str) -> Job:
    """The job that checks `code` against `spec` (raises SpecError naming the field)."""
    mode = spec.get("mode")
    limits = parse_limits(spec.get("limits"))
    if mode == "function":
        entry_point = _required_str(spec, "entry_point")
        tests = []
        for index, test in enumerate(_required_list(spec, "tests")):
            if not isinstance(test, dict) or "args" not in test or "expected" not in test:
                raise SpecError(f"spec field 'tests[{index}]' needs 'args' and 'expected'")
            if not isinstance(test["args"], list):
                raise SpecError(f"spec field 'tests[{index}].args' must be a list")
            tests.append(FunctionTest(args=tuple(test["args"]), expected=test["expected"]))
        return Job(mode="function", code=code, entry_point=entry_point, tests=tuple(tests),
                   limits=limits)
    if mode == "stdio":
        tests = []
        for index, test in enumerate(_required_list(spec, "tests")):
            if not isinstance(test, dict) or not isinstance(test.get("stdin"), str) \
                    or not isinstance(test.get("expected"), str):
                raise SpecError(f"spec field 'tests[{index}]' needs string 'stdin' and "
                                "'expected'")
            tests.append(StdioTest(stdin=test["stdin"], expected=test["expected"]))
        return Job(mode="stdio", code=code, tests=tuple(tests), limits=limits)
    if mode == "assert":
        return Job(mode="assert", code=code, entry_point=_required_str(spec, "entry_point"),
                   test_code=_required_str(spec, "test_code"), limits=limits)
    raise SpecError(f"spec field 'mode' must be 'function', 'stdio' or 'assert', got {mode!r}")


def _required_str(spec: dict, name: str) -> str:
    value = spec.get(name)
    if not isinstance(value, str) or not value:
        raise SpecError(f"spec field '{name}' is required and must be a non-empty string")
    return value


def _required_list(spec: dict, name: str) -> list:
    value = spec.get(name)
    if not isinstance(value, list) or not value:
        raise SpecError(f"spec field '{name}' is required and must be a non-empty list")
    return value
