"""Host side of a job: the request sent into the sandbox, and the verdict made outside.

`job_request` strips expected values: only code, entry points, argument literals and
stdins enter the sandbox. `check_answer` validates every field of the fork server's
answer (types, sizes, known statuses; frames are flat, so depth is bounded by the
check) before anything reads it: an answer that fails is that job's `sandbox_error`,
never an exception. `verdict_from_answer` parses the candidate's literal text
(`sandbox.transport.from_literal`, never evaluating code) and compares it here with
`sandbox.compare`. `reference_outcomes` turns a reference run into `CallOutcome`s.
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

from sandbox.compare import stdout_equal, values_equal
from sandbox.transport import NotPlainData, from_literal, to_literal
from sandbox.types import CallOutcome, FunctionTest, Job, Limits, StdioTest, Verdict

DETAIL_CHARS = 200
MAX_DETAILS = 8

_UNIT_STATUS = {"timeout": "timeout", "memory": "memory", "output_limit": "output_limit",
                "crash": "runtime_error", "error": "runtime_error"}
_OUTCOME_ERROR = {"timeout": "Timeout", "memory": "MemoryError", "output_limit": "OutputLimit",
                  "crash": "Crash"}


class JobError(ValueError):
    """A malformed job (the caller's mistake, not the candidate's)."""


class BadAnswer(ValueError):
    """An answer from the sandbox that does not have the documented shape."""


UNIT_STATUSES = ("ok", "error", "timeout", "memory", "output_limit", "crash")
CALL_STATUSES = ("ok", "error", "memory", "timeout", "output_limit", "crash")
_TEXT_FIELDS = {"error_type": 1_000, "error_message": 10_000, "where": 1_000,
                "stderr_tail": 10_000}
_FLAG_FIELDS = ("fatal", "skipped")


def check_answer(answer, count: int, mode: str, output_bytes: int) -> list[dict]:
    """The answer's unit results after checking every field; BadAnswer names the first
    field that is missing, of the wrong type, too large or unknown."""
    if not isinstance(answer, dict) or not isinstance(answer.get("results"), list):
        raise BadAnswer("the answer has no list of results")
    units = answer["results"]
    if len(units) != count:
        raise BadAnswer(f"expected {count} results, got {len(units)}")
    for index, unit in enumerate(units):
        _check_unit(unit, index, mode, output_bytes, f"results[{index}]")
    return units


def _check_unit(unit, index: int, mode: str, output_bytes: int, where: str) -> None:
    if not isinstance(unit, dict):
        raise BadAnswer(f"{where} is not an object")
    if type(unit.get("i")) is not int or unit["i"] != index:
        raise BadAnswer(f"{where}.i is not the integer {index}")
    status = unit.get("status")
    if status not in UNIT_STATUSES:
        raise BadAnswer(f"{where}.status {_short(repr(status), 40)} is unknown")
    allowed = {"i", "status", *_TEXT_FIELDS, *_FLAG_FIELDS}
    if status == "ok":
        if mode == "stdio":
            _check_text(unit, "stdout", output_bytes + 16, where, required=True)
            allowed.add("stdout")
        elif mode == "function":
            _check_text(unit, "literal", output_bytes + 1024, where, required=True)
            allowed.add("literal")
        elif mode == "reference":
            _check_calls(unit, output_bytes, where)
            allowed.add("calls")
    for field, limit in _TEXT_FIELDS.items():
        _check_text(unit, field, limit, where, required=False)
    for field in _FLAG_FIELDS:
        if field in unit and type(unit[field]) is not bool:
            raise BadAnswer(f"{where}.{field} is not a bool")
    unknown = set(unit) - allowed
    if unknown:
        raise BadAnswer(f"{where} has unknown fields {sorted(unknown)[:3]}")


def _check_calls(unit: dict, output_bytes: int, where: str) -> None:
    calls = unit.get("calls")
    if not isinstance(calls, dict):
        raise BadAnswer(f"{where}.calls is not an object")
    for name, call in calls.items():
        path = f"{where}.calls[{_short(repr(name), 40)}]"
        if not isinstance(call, dict) or call.get("status") not in CALL_STATUSES:
            raise BadAnswer(f"{path} is not a call result")
        if call["status"] == "ok":
            _check_text(call, "literal", output_bytes + 1024, path, required=True)
        for field, limit in _TEXT_FIELDS.items():
            _check_text(call, field, limit, path, required=False)
        unknown = set(call) - {"status", "literal", *_TEXT_FIELDS}
        if unknown:
            raise BadAnswer(f"{path} has unknown fields {sorted(unknown)[:3]}")


def _check_text(unit: dict, field: str, limit: int, where: str, required: bool) -> None:
    if field not in unit:
        if required:
            raise BadAnswer(f"{where}.{field} is missing")
        return
    if not isinstance(unit[field], str):
        raise BadAnswer(f"{where}.{field} is not a string")
    if len(unit[field]) > limit:
        raise BadAnswer(f"{where}.{field} is longer than {limit} characters")


def _short(text: str, limit: int = DETAIL_CHARS) -> str:
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "..."


def limits_dict(limits: Limits) -> dict:
    return dataclasses.asdict(limits)


def job_request(job: Job) -> dict:
    """The request for the fork server; raises JobError naming the malformed field."""
    if not isinstance(job, Job):
        raise JobError(f"expected a sandbox.types.Job, got {type(job).__name__}")
    if not isinstance(job.code, str):
        raise JobError("job.code must be a string of Python source")
    request = {"kind": job.mode, "code": job.code, "limits": limits_dict(job.limits)}
    if job.mode in ("function", "stdio") and not job.tests:
        raise JobError(f"a {job.mode}-mode job needs at least one test in job.tests")
    if job.mode == "function":
        if not job.entry_point:
            raise JobError("a function-mode job needs job.entry_point (the function to call)")
        inputs = []
        for index, test in enumerate(job.tests):
            if not isinstance(test, FunctionTest):
                raise JobError(f"job.tests[{index}] must be a FunctionTest in function mode")
            try:
                inputs.append(to_literal(tuple(test.args)))
            except NotPlainData as error:
                raise JobError(f"job.tests[{index}].args is not plain data: {error}") from None
        request.update(entry_point=job.entry_point, inputs=inputs)
    elif job.mode == "stdio":
        for index, test in enumerate(job.tests):
            if not isinstance(test, StdioTest) or not isinstance(test.stdin, str):
                raise JobError(f"job.tests[{index}] must be a StdioTest with str stdin")
        request["stdins"] = [test.stdin for test in job.tests]
    elif job.mode == "assert":
        if not job.entry_point or not job.test_code:
            raise JobError("an assert-mode job needs job.entry_point and job.test_code "
                           "(defining check(candidate))")
        request.update(entry_point=job.entry_point, test_code=job.test_code)
    else:
        raise JobError(f"job.mode {job.mode!r} is not one of 'function', 'stdio', 'assert'")
    return request


def reference_request(code: str, functions: Sequence[str], inputs: Sequence[tuple],
                      limits: Limits) -> dict:
    if isinstance(functions, str) or not functions:
        raise JobError("reference functions must be a non-empty sequence of names")
    literals = []
    for index, arguments in enumerate(inputs):
        try:
            literals.append(to_literal(tuple(arguments)))
        except (NotPlainData, TypeError) as error:
            raise JobError(f"reference inputs[{index}] is not a tuple of plain data: "
                           f"{error}") from None
    return {"kind": "reference", "code": code, "functions": list(functions),
            "inputs": literals, "limits": limits_dict(limits)}


def _failure_detail(index: int, unit: dict) -> str:
    kind = unit.get("error_type") or unit.get("status", "")
    message = unit.get("error_message", "")
    where = f" at {unit['where']}" if unit.get("where") else ""
    tail = f"; stderr: {_short(unit['stderr_tail'], 120)}" if unit.get("stderr_tail") else ""
    return _short(f"test {index}: {kind}{where}: {message}{tail}")


def _unit_status(unit: dict) -> str:
    return _UNIT_STATUS.get(unit.get("status"), "runtime_error")


def verdict_from_answer(job: Job, answer: dict, wall_time_s: float, backend: str,
                        rel_tol: float = 1e-6) -> Verdict:
    """Compare the sandbox's reported values with the job's expectations, outside.

    Never raises for anything in `answer`: a malformed one is a `sandbox_error` verdict.
    """
    total = 1 if job.mode == "assert" else len(job.tests)
    try:
        units = check_answer(answer, total, job.mode, job.limits.output_bytes)
    except BadAnswer as error:
        return sandbox_error_verdict(job, f"malformed answer: {error}", wall_time_s, backend)
    passed, first_failure, details = 0, None, []
    for index, unit in enumerate(units):
        status, detail = _grade_unit(job, index, unit, rel_tol)
        if status == "passed":
            passed += 1
            continue
        first_failure = first_failure or status
        if len(details) < MAX_DETAILS:
            details.append(detail)
    return Verdict(status=first_failure or "passed", tests_passed=passed, tests_total=total,
                   details=tuple(details), wall_time_s=wall_time_s, backend=backend)


def _grade_unit(job: Job, index: int, unit: dict, rel_tol: float) -> tuple[str, str]:
    if unit.get("status") != "ok":
        wrong = "AssertionError" if job.mode == "assert" else "NotPlainData"
        if unit.get("error_type") == wrong:  # a failed check, or a value that is no answer
            return "wrong_answer", _failure_detail(index, unit)
        return _unit_status(unit), _failure_detail(index, unit)
    if job.mode == "assert":
        return "passed", ""
    test = job.tests[index]
    if job.mode == "stdio":
        actual = unit.get("stdout", "")
        if stdout_equal(actual, test.expected):
            return "passed", ""
        return "wrong_answer", _short(f"test {index}: printed {_short(actual, 80)!r}, "
                                      f"expected {_short(test.expected, 80)!r}")
    literal = unit["literal"]
    try:
        actual = from_literal(literal)
    except NotPlainData:
        return "wrong_answer", _short(f"test {index}: returned a value that is not plain data")
    if values_equal(actual, test.expected, rel_tol):
        return "passed", ""
    arguments = _short(", ".join(repr(argument) for argument in test.args), 60)
    return "wrong_answer", _short(f"test {index}: {job.entry_point}({arguments}) returned "
                                  f"{_short(literal, 60)}, expected {_short(repr(test.expected), 60)}")


def sandbox_error_verdict(job: Job, message: str, wall_time_s: float, backend: str) -> Verdict:
    total = 1 if job.mode == "assert" else len(job.tests)
    return Verdict(status="sandbox_error", tests_passed=0, tests_total=total,
                   details=(_short(f"sandbox error: {message}"),), wall_time_s=wall_time_s,
                   backend=backend)


def reference_outcomes(functions: Sequence[str], answer: dict, count: int,
                       output_bytes: int = Limits().output_bytes) -> list[dict[str, CallOutcome]]:
    """Per input, each function's CallOutcome (value parsed outside, or the error)."""
    try:
        units = check_answer(answer, count, "reference", output_bytes)
    except BadAnswer as error:
        return reference_failure(functions, count, f"malformed answer: {error}")
    outcomes = []
    for unit in units:
        if unit.get("status") == "ok":
            outcomes.append({name: _call_outcome(unit["calls"].get(name, {}))
                             for name in functions})
            continue
        error_type = unit.get("error_type") or _OUTCOME_ERROR.get(unit.get("status"), "Error")
        if unit.get("status") in ("timeout", "memory", "output_limit"):
            error_type = _OUTCOME_ERROR[unit["status"]]
        outcome = CallOutcome(ok=False, error_type=error_type,
                              error_message=_short(unit.get("error_message", "")))
        outcomes.append({name: outcome for name in functions})
    return outcomes


def _call_outcome(call: dict) -> CallOutcome:
    if call.get("status") == "ok":
        literal = call["literal"]
        try:
            return CallOutcome(ok=True, value=from_literal(literal), literal=literal)
        except NotPlainData as error:
            return CallOutcome(ok=False, error_type="NotPlainData", error_message=_short(error))
    error_type = (_OUTCOME_ERROR.get(call.get("status")) if call.get("status") != "error"
                  else None) or call.get("error_type", "Error")
    return CallOutcome(ok=False, error_type=error_type,
                       error_message=_short(call.get("error_message", "")))


def reference_failure(functions: Sequence[str], count: int,
                      message: str) -> list[dict[str, CallOutcome]]:
    """Outcomes when the sandbox itself failed: error_type "SandboxError" everywhere."""
    outcome = CallOutcome(ok=False, error_type="SandboxError", error_message=_short(message))
    return [{name: outcome for name in functions} for _ in range(count)]
