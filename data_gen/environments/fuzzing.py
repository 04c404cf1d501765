"""Fuzzing: find an input that satisfies a precondition and breaks a test.

The teacher writes `f`, `pre_test_f`, `test_f` and a witness input. Valid when, run
twice in the sandbox, `pre_test_f(witness)` returns True and `test_f(witness)` returns
anything but True or raises; the witness proves the task solvable and is never shown
to the policy. The policy sees the three functions (comments stripped, since a comment
can name the bug) and answers an input as Python literals; reward 1 iff
`pre_test_f(answer)` returns True (an exception counts as not holding) and
`test_f(answer)` does not return True (an exception counts as failing). Both checks run
in the sandbox inside one small harness appended to the teacher's code; each function
gets its own deep copy of the answer (and of the witness in validation), so a mutating
precondition cannot change what the test sees. A `test_f` that times out counts as not failing (reward 0).
"""
from __future__ import annotations

from data_gen.environments import answers, prompts
from data_gen.environments.base import (Instance, ParsedAnswer, ProblemProvenance, ReferenceCall, Rejection,
                                        RewardPlan, ValidationPlan)
from data_gen.environments.synthetic import TeacherWrittenEnvironment, normalised_code
from data_gen.environments.validation import outcome_rejection, same_outcome
from data_gen.records import Problem, RejectionReason as Reason
from rl.generation.types import Message
from sandbox.types import CallOutcome, FunctionTest, Job

POLICY_SYSTEM = "You are an expert Python programmer and tester. Reason step by step, then give the final answer."
CHECK_FUNCTION = "__fuzzing_check__"
PRECONDITION_CALL = "__fuzzing_pre_test_f__"
TEST_CALL = "__fuzzing_test_f__"
FOUND = "found"

HARNESS = f'''

def {CHECK_FUNCTION}(*arguments):
    import copy as _copy
    try:
        holds = pre_test_f(*_copy.deepcopy(arguments))
    except Exception:
        return "precondition raised"
    if holds is not True:
        return "precondition does not hold"
    try:
        verdict = test_f(*_copy.deepcopy(arguments))
    except Exception:
        return "{FOUND}"
    return "{FOUND}" if verdict is not True else "test passes"


def {PRECONDITION_CALL}(*arguments):
    import copy as _copy
    return pre_test_f(*_copy.deepcopy(arguments))


def {TEST_CALL}(*arguments):
    import copy as _copy
    return test_f(*_copy.deepcopy(arguments))
'''

TEMPLATE = prompts.TeacherTemplate(
    task=("Write a FUZZING puzzle inspired by the snippet. Write a Python function `f` with a subtle bug "
          "on some inputs, a function `pre_test_f` returning True when an input is valid for f, and a "
          "function `test_f` returning True when f behaves correctly on an input (it may call f and "
          "compare with a simple correct computation). All three take the same arguments. Also give a "
          "witness: one input for which pre_test_f returns True and test_f does not return True. A solver "
          "sees the three functions (not the witness) and must find such an input."),
    output_format=("Think briefly, then write exactly these fenced blocks:\n"
                   "```python\ndef f(...):\n    ...\n\ndef pre_test_f(...):\n    ...\n\n"
                   "def test_f(...):\n    ...\n```\n"
                   "and one block with the witness: the arguments as Python literals separated by commas, "
                   "for example:\n```witness\n[3, 1, 2], 2\n```"),
)

TEMPLATE_V2 = prompts.TeacherTemplate(
    task=("Write a FUZZING puzzle inspired by the snippet: a Python function `f` with a subtle bug on some "
          "inputs, a function `pre_test_f` returning True when an input is valid for f, and a function "
          "`test_f` returning True when f behaves correctly on an input (it may call f and compare with a "
          "simple correct computation). All three take the same parameters. Also give a witness: one input "
          "for which pre_test_f returns True and test_f does not. A solver sees the three functions, not the "
          "witness, and must find such an input. " + prompts.V2_FUNCTION_RULES),
    output_format=("Exactly these fenced blocks, nothing else: one ```python block defining f, then "
                   "pre_test_f, then test_f; then one ```witness block "
                   + prompts.V2_ARGUMENTS_TEXT.replace("of f", "of pre_test_f") + "."),
    system=prompts.SYSTEM_PROMPT_V2,
)
TEMPLATE_V3 = prompts.TeacherTemplate(
    task=TEMPLATE_V2.task.replace(prompts.V2_FUNCTION_RULES, prompts.V3_FUNCTION_RULES.replace(
        "a new function of a few lines", "new functions of a few lines each").replace("it uses", "they use")),
    output_format=TEMPLATE_V2.output_format,
    system=prompts.SYSTEM_PROMPT_V2,
)
TEMPLATES = {"v1": TEMPLATE, "v2": TEMPLATE_V2, "v3": TEMPLATE_V3}


class FuzzingEnvironment(TeacherWrittenEnvironment):
    name = "fuzzing"
    templates = TEMPLATES
    required_functions = ("f", "pre_test_f", "test_f")
    input_function = "pre_test_f"
    needs_witness = True

    def plan_validation(self, instance: Instance, provenance: ProblemProvenance) -> "ValidationPlan | Rejection":
        call = ReferenceCall(instance.code + HARNESS, (PRECONDITION_CALL, TEST_CALL), (instance.witness,),
                             self.validation_limits)
        witness = instance.witness_literal or ""

        def finish(first, second):
            outcomes = []
            for name, called in (("pre_test_f", PRECONDITION_CALL), ("test_f", TEST_CALL)):
                one, two = first[0].get(called), second[0].get(called)
                if one is None or two is None:
                    return Rejection(Reason.SANDBOX_ERROR, f"the sandbox returned no outcome for {name}")
                if not same_outcome(one, two):
                    return Rejection(Reason.NONDETERMINISTIC, f"{name}({witness[:60]}) differs between two runs")
                outcomes.append(one)
            pre, test = outcomes
            if not pre.ok:
                if _is_limit(pre):
                    return outcome_rejection("pre_test_f", witness, pre)
                return Rejection(Reason.WITNESS_INVALID, f"pre_test_f raised {pre.error_type} on the witness")
            if pre.literal != "True":
                return Rejection(Reason.WITNESS_INVALID, f"pre_test_f returned {pre.literal[:60]} on the witness, "
                                 "not True")
            if not test.ok and _is_limit(test):
                return outcome_rejection("test_f", witness, test)
            if test.ok and test.literal == "True":
                return Rejection(Reason.WITNESS_INVALID, "test_f returned True on the witness: it does not "
                                 "expose a bug")
            return self.build_problem(instance, provenance, statement="", extra={"witness": witness})

        return ValidationPlan(call, finish)

    def render_policy_prompt(self, problem: Problem) -> tuple[Message, ...]:
        user = (f"Here is a function f with a precondition and a test:\n"
                f"```python\n{normalised_code(problem.code or '')}\n```\n\n"
                "Find an input for which pre_test_f returns True and test_f does not return True "
                "(returns something else or raises), exposing a bug in f.\n\n"
                "Reason step by step, then give the arguments as Python literals separated by commas in a "
                "final ```input block.")
        return (Message("system", POLICY_SYSTEM), Message("user", user))

    def parse_answer(self, problem: Problem, text: str) -> ParsedAnswer:
        signature = answers.function_signature(problem.code or "", "pre_test_f")
        return answers.extract_arguments(text, signature, function_name="pre_test_f",
                                         labels=("input", "answer", "witness"), max_chars=self.max_literal_chars)

    def plan_reward(self, problem: Problem, answer: ParsedAnswer) -> RewardPlan:
        return RewardPlan(job=Job(mode="function", code=(problem.code or "") + HARNESS, entry_point=CHECK_FUNCTION,
                                  tests=(FunctionTest(tuple(answer.value), FOUND),), limits=self.reward_limits))


def _is_limit(outcome: CallOutcome) -> bool:
    return (outcome.error_type or "") in ("Timeout", "TimeoutError", "SandboxError", "NotPlainData")
