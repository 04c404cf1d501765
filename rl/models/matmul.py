"""`dense`: every matmul of the model, with a backward pass in the compute dtype.

Forward: `einsum(spec, x, kernel)` with both inputs cast to `dtype`, accumulated and returned
in float32 (the fast path on CPU and the tensor-core path on GPU/TPU).

Backward, when `dtype` is narrower than float32: autodiff of that einsum would take the
float32 cotangent as it comes and run both transposed matmuls in float32 (the bf16 operand
promoted), which on this project's CPU ran at 89 GFLOP/s against 270-400 for bf16 inputs, and
on a GPU leaves the tensor cores' bf16 rate unused. Here the cotangent is cast to `dtype`
once and both gradient matmuls take `dtype` inputs with float32 accumulation, as mixed-
precision training usually does (Micikevicius et al. 2018: bf16/fp16 operands, fp32
accumulation and master weights). Gradients leave in the inputs' own dtypes (float32
parameters stay float32). With `dtype` float32 this is plain autodiff of the einsum.
"""
from __future__ import annotations

import functools
import string

import jax
import jax.numpy as jnp


def dense(x: jax.Array, kernel: jax.Array, spec: str, dtype) -> jax.Array:
    """einsum(spec, x, kernel) with inputs in `dtype`, accumulated and returned in float32."""
    dtype = jnp.dtype(dtype)
    if dtype == jnp.float32:
        return jnp.einsum(spec, x.astype(dtype), kernel.astype(dtype), preferred_element_type=jnp.float32)
    explicit = _explicit_spec(spec, x.ndim, kernel.ndim)
    return _low_precision_dense(x, kernel, explicit, dtype.name, jnp.dtype(x.dtype).name,
                                jnp.dtype(kernel.dtype).name)


def _explicit_spec(spec: str, x_ndim: int, kernel_ndim: int) -> str:
    """`spec` with any '...' replaced by letters it does not use (ellipsis on x and output only)."""
    inputs, output = spec.replace(" ", "").split("->")
    x_letters, kernel_letters = inputs.split(",")
    if "..." in kernel_letters:
        raise ValueError(f"dense: an ellipsis is supported on x and the output only, not in {spec!r}")
    if "..." in x_letters:
        free = [c for c in string.ascii_letters if c not in spec]
        batch = "".join(free[:x_ndim - (len(x_letters) - 3)])
        x_letters = x_letters.replace("...", batch)
        output = output.replace("...", batch)
    if len(x_letters) != x_ndim or len(kernel_letters) != kernel_ndim:
        raise ValueError(f"dense: spec {spec!r} does not fit operands of rank {x_ndim} and {kernel_ndim}")
    for letter in set(x_letters) | set(kernel_letters):
        if letter not in output and not (letter in x_letters and letter in kernel_letters):
            raise ValueError(f"dense: index {letter!r} of {spec!r} is summed within one operand")
    return f"{x_letters},{kernel_letters}->{output}"


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3, 4, 5))
def _low_precision_dense(x, kernel, spec, dtype, x_dtype, kernel_dtype):
    return _forward(x, kernel, spec, dtype, x_dtype, kernel_dtype)[0]


def _forward(x, kernel, spec, dtype, x_dtype, kernel_dtype):
    x_cast, kernel_cast = x.astype(dtype), kernel.astype(dtype)
    out = jnp.einsum(spec, x_cast, kernel_cast, preferred_element_type=jnp.float32)
    return out, (x_cast, kernel_cast)


def _backward(spec, dtype, x_dtype, kernel_dtype, residuals, cotangent):
    x_cast, kernel_cast = residuals
    inputs, output = spec.split("->")
    x_letters, kernel_letters = inputs.split(",")
    cotangent = cotangent.astype(dtype)
    grad_x = jnp.einsum(f"{output},{kernel_letters}->{x_letters}", cotangent, kernel_cast,
                        preferred_element_type=jnp.float32)
    grad_kernel = jnp.einsum(f"{x_letters},{output}->{kernel_letters}", x_cast, cotangent,
                             preferred_element_type=jnp.float32)
    return grad_x.astype(x_dtype), grad_kernel.astype(kernel_dtype)


_low_precision_dense.defvjp(_forward, _backward)
