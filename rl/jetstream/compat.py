"""The one compatibility shim of the project: restores `jax.tree_map` for JetStream.

google-jetstream 0.2.2 (its last release) calls `jax.tree_map` in its orchestrator
(`delete_pytree`, run on every insert). Current jax removed that alias in favour of
`jax.tree.map`, so without this the generate thread dies on the first request and the
server SIGKILLs itself. Import this module before importing anything from `jetstream`.
"""
import jax

if not hasattr(jax, "tree_map"):
    # Same semantics as the removed alias: map over one or more pytrees.
    jax.tree_map = jax.tree.map
