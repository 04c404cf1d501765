"""`dense`'s backward pass in the compute dtype: the gradients are those of the bf16-rounded
operands with the cotangent rounded to bf16 (accumulated in float32), they come back in the
inputs' dtypes, the compiled backward multiplies bf16 operands only, float32 is plain
autodiff, and specs it cannot transpose are refused."""
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rl.models.matmul import dense

# (spec, x shape, kernel shape): every matmul the model does
SPECS = [
    ("btd,dhk->bthk", (2, 5, 8), (8, 3, 4)),
    ("btkgd,bskd->bkgts", (2, 5, 2, 3, 4), (2, 6, 2, 4)),
    ("bkgts,bskd->btkgd", (2, 2, 3, 5, 6), (2, 6, 2, 4)),
    ("bthk,hkd->btd", (2, 5, 3, 4), (3, 4, 8)),
    ("...d,df->...f", (2, 5, 8), (8, 12)),
    ("...f,fd->...d", (5, 12), (12, 8)),
]


def _round(a, dtype=jnp.bfloat16):
    return a.astype(dtype).astype(jnp.float32)


@pytest.mark.parametrize("spec,x_shape,kernel_shape", SPECS)
def test_bf16_gradients_are_those_of_rounded_operands_and_cotangent(spec, x_shape, kernel_shape):
    keys = jax.random.split(jax.random.key(len(spec)), 3)
    x = jax.random.normal(keys[0], x_shape, jnp.float32)
    kernel = jax.random.normal(keys[1], kernel_shape, jnp.float32)
    out, vjp = jax.vjp(lambda a, b: dense(a, b, spec, jnp.bfloat16), x, kernel)
    cotangent = jax.random.normal(keys[2], out.shape, jnp.float32)
    grad_x, grad_kernel = vjp(cotangent)
    assert out.dtype == jnp.float32 and grad_x.dtype == x.dtype and grad_kernel.dtype == kernel.dtype

    reference = lambda a, b: jnp.einsum(spec, a, b, precision="highest")  # noqa: E731
    expected_out, reference_vjp = jax.vjp(reference, _round(x), _round(kernel))
    expected_x, expected_kernel = reference_vjp(_round(cotangent))
    np.testing.assert_allclose(out, expected_out, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(grad_x, expected_x, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(grad_kernel, expected_kernel, rtol=1e-5, atol=1e-5)
    # and not those of the float32 cotangent (the rounding is real, so the test can tell)
    _, unrounded_kernel = reference_vjp(cotangent)
    assert not np.allclose(grad_kernel, unrounded_kernel, rtol=1e-6, atol=1e-6)


def test_compiled_bf16_backward_multiplies_bf16_operands_only():
    x = jnp.ones((4, 6, 8), jnp.float32)
    kernel = jnp.ones((8, 16), jnp.float32)
    loss = lambda a, b: (dense(a, b, "...d,df->...f", jnp.bfloat16) ** 2).sum()  # noqa: E731
    hlo = jax.jit(jax.grad(loss, argnums=(0, 1))).lower(x, kernel).as_text()
    dots = [line for line in hlo.splitlines() if "dot_general" in line]
    assert len(dots) == 3      # the forward and the two gradient matmuls
    for line in dots:
        operand_types = re.findall(r"tensor<[0-9x]*x(\w+)>", line.split("->")[0].split(":")[-1])
        assert operand_types and set(operand_types) == {"bf16"}, line


def test_float32_is_plain_autodiff():
    x = jax.random.normal(jax.random.key(0), (3, 4), jnp.float32)
    kernel = jax.random.normal(jax.random.key(1), (4, 5), jnp.float32)
    ours = jax.grad(lambda a, b: (dense(a, b, "...d,df->...f", jnp.float32) ** 2).sum(), argnums=(0, 1))(x, kernel)
    plain = jax.grad(lambda a, b: ((a @ b) ** 2).sum(), argnums=(0, 1))(x, kernel)
    for a, b in zip(ours, plain):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("spec,message", [("ab,bc->a", "summed within one operand"),
                                          ("ab,...b->a", "ellipsis"),
                                          ("abc,cd->abd", "does not fit")])
def test_specs_it_cannot_transpose_are_refused(spec, message):
    with pytest.raises(ValueError, match=message):
        dense(jnp.ones((2, 3)), jnp.ones((3, 4)), spec, jnp.bfloat16)
