"""Isolated execution of untrusted, model-written code, and the verdicts it yields.

Owns: the `Job`/`Verdict` types, the gVisor (runsc) sandbox pool with a fork server
inside each sandbox, the one value comparator, and the `python -m sandbox` CLI.
Must not import anything else of this project (rl, data_gen, curriculum, configs).
"""
