"""Run validation plans in the sandbox and read their outcomes.

The teacher's code is called twice per input (second run in reverse input order, so
state kept between calls shows), through `SandboxExecutor.reference`; the outcomes must
agree and be plain data. `validate`/`validate_many`/`validate_async` are the only places
that touch the executor for validation; an executor failure becomes a `sandbox_error`
rejection, never an exception.
"""
from __future__ import annotations

import asyncio
from typing import Mapping, Optional, Sequence

from data_gen.environments.base import (Instance, ProblemProvenance, Rejection, SyntheticEnvironment,
                                        ValidationPlan)
from data_gen.records import Problem, RejectionReason as Reason
from sandbox.types import CallOutcome

_ERROR_REASONS = {"Timeout": Reason.TIMEOUT, "TimeoutError": Reason.TIMEOUT, "NotPlainData": Reason.NON_PLAIN_OUTPUT,
                  "SandboxError": Reason.SANDBOX_ERROR}


def outcome_rejection(function: str, input_literal: str, outcome: CallOutcome) -> Rejection:
    """The rejection for a failed reference call of `function` on one input."""
    error = outcome.error_type or "Error"
    reason = _ERROR_REASONS.get(error, Reason.RUNTIME_ERROR)
    if error == "MemoryError":
        reason = Reason.RUNTIME_ERROR
    message = (outcome.error_message or "").strip().splitlines()
    detail = f": {message[-1][:120]}" if message else ""
    return Rejection(reason, f"{function}({_clip(input_literal)}) raised {error}{detail}")


def same_outcome(first: CallOutcome, second: CallOutcome) -> bool:
    """Both runs returned the same literal, or failed with the same exception type."""
    if first.ok != second.ok:
        return False
    if first.ok:
        return first.literal == second.literal
    return first.error_type == second.error_type


def gold_literals(function: str, input_literals: Sequence[str],
                  first: Sequence[Mapping[str, CallOutcome]],
                  second: Sequence[Mapping[str, CallOutcome]]) -> "list[str] | Rejection":
    """The agreed output literals of `function`, or the first failure/disagreement."""
    golds = []
    for literal, run_one, run_two in zip(input_literals, first, second):
        one, two = run_one.get(function), run_two.get(function)
        if one is None or two is None:
            return Rejection(Reason.SANDBOX_ERROR, f"the sandbox returned no outcome for {function}")
        if not one.ok:
            return outcome_rejection(function, literal, one)
        if not two.ok:
            if (two.error_type or "") in ("Timeout", "TimeoutError"):
                return outcome_rejection(function, literal, two)
            return Rejection(Reason.NONDETERMINISTIC, f"{function}({_clip(literal)}) returned on the first run "
                             f"and raised {two.error_type} on the second")
        if not same_outcome(one, two):
            return Rejection(Reason.NONDETERMINISTIC, f"{function}({_clip(literal)}) returned "
                             f"{_clip(one.literal or '')} then {_clip(two.literal or '')}")
        golds.append(one.literal)
    return golds


def _clip(text: str, limit: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + "..."


def _finish(plan: ValidationPlan, first, second) -> "Problem | Rejection":
    count = len(plan.call.inputs)
    if len(first) != count or len(second) != count:
        return Rejection(Reason.SANDBOX_ERROR, f"the sandbox returned {len(first)}/{len(second)} outcomes "
                         f"for {count} inputs")
    return plan.finish(list(first), list(reversed(second)))


def validate(environment: SyntheticEnvironment, instance: Instance, executor,
             provenance: Optional[ProblemProvenance] = None) -> "Problem | Rejection":
    """Validate one instance in the sandbox: a Problem, or a Rejection with its reason."""
    return validate_many(environment, [instance], executor, [provenance])[0]


def validate_many(environment: SyntheticEnvironment, instances: Sequence[Instance], executor,
                  provenances: Optional[Sequence[Optional[ProblemProvenance]]] = None) -> list:
    """Validate many instances, submitting every reference run before waiting on any."""
    provenances = list(provenances or [None] * len(instances))
    plans = [environment.plan_validation(i, p or ProblemProvenance()) for i, p in zip(instances, provenances)]
    futures = {}
    for index, plan in enumerate(plans):
        if isinstance(plan, ValidationPlan):
            call = plan.call
            try:
                futures[index] = (
                    executor.submit_reference(call.code, call.functions, call.inputs, limits=call.limits),
                    executor.submit_reference(call.code, call.functions, tuple(reversed(call.inputs)),
                                              limits=call.limits))
            except Exception as error:  # noqa: BLE001 - an executor failure is a rejection, not a crash
                futures[index] = error
    results = []
    for index, plan in enumerate(plans):
        if isinstance(plan, Rejection):
            results.append(plan)
            continue
        pending = futures[index]
        try:
            if isinstance(pending, Exception):
                raise pending
            first, second = pending[0].result(), pending[1].result()
        except Exception as error:  # noqa: BLE001
            results.append(Rejection(Reason.SANDBOX_ERROR, f"{type(error).__name__}: {_clip(str(error), 160)}"))
            continue
        results.append(_finish(plan, first, second))
    return results


async def validate_async(environment: SyntheticEnvironment, instance: Instance, executor,
                         provenance: Optional[ProblemProvenance] = None) -> "Problem | Rejection":
    """The async twin of `validate` (both runs concurrently)."""
    plan = environment.plan_validation(instance, provenance or ProblemProvenance())
    if isinstance(plan, Rejection):
        return plan
    call = plan.call
    try:
        first, second = await asyncio.gather(
            executor.reference_async(call.code, call.functions, call.inputs, limits=call.limits),
            executor.reference_async(call.code, call.functions, tuple(reversed(call.inputs)), limits=call.limits))
    except Exception as error:  # noqa: BLE001
        return Rejection(Reason.SANDBOX_ERROR, f"{type(error).__name__}: {_clip(str(error), 160)}")
    return _finish(plan, first, second)
