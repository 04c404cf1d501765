"""Isolated execution of untrusted, model-written code, and the verdicts it yields.

Owns: the `Job`/`Verdict` types (`sandbox.types`), the gVisor (runsc) sandbox pool with
a fork server inside each sandbox (`sandbox.executor` pool and futures,
`sandbox.backends` workers, `sandbox.runsc` OCI bundle, `sandbox.fork_server` and
`sandbox.child` inside the sandbox, `sandbox.framing` pipes protocol), grading outside
the sandbox (`sandbox.grading`), the value transport (`sandbox.transport`), the one
comparator (`sandbox.compare`), the `python -m sandbox check` CLI (`sandbox.cli`,
`sandbox.spec`) and the benchmark (`python -m sandbox.bench`).
Must not import anything else of this project (rl, data_gen, curriculum, configs).

    from sandbox import SandboxExecutor, Job, FunctionTest, StdioTest, Limits
    with SandboxExecutor() as ex:
        verdicts = ex.run([Job(mode="function", code=src, entry_point="f",
                               tests=(FunctionTest(args=(1, 2), expected=3),))])

The executor is imported lazily: the fork server imports this package inside the
sandbox and needs only the standard-library modules.
"""
from sandbox.types import CallOutcome, FunctionTest, Job, Limits, StdioTest, Verdict

__all__ = ["SandboxExecutor", "Job", "Verdict", "Limits", "FunctionTest", "StdioTest",
           "CallOutcome", "values_equal", "to_literal", "from_literal"]


def __getattr__(name: str):
    if name == "SandboxExecutor":
        from sandbox.executor import SandboxExecutor  # lazy: the fork server imports this package in the sandbox
        return SandboxExecutor
    if name == "values_equal":
        from sandbox.compare import values_equal  # lazy, as above: the package stays stdlib-only in the sandbox
        return values_equal
    if name in ("to_literal", "from_literal"):
        from sandbox import transport  # lazy, as above
        return getattr(transport, name)
    raise AttributeError(f"module 'sandbox' has no attribute {name!r}")
