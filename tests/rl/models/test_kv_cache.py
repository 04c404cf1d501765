"""KVCache row operations: taking and putting batch rows leave the other rows and the
layer/capacity axes alone."""
import jax.numpy as jnp
import numpy as np

from rl.models.kv_cache import KVCache


def _cache(batch: int, fill: float = 0.0, layers: int = 3, capacity: int = 5) -> KVCache:
    shape = (layers, batch, capacity, 2, 4)
    keys = jnp.arange(np.prod(shape), dtype=jnp.float32).reshape(shape) + fill
    return KVCache(keys=keys, values=-keys)


def test_put_rows_replaces_only_the_given_rows():
    cache = _cache(batch=4)
    rows = _cache(batch=2, fill=1000.0)
    out = cache.put_rows(rows, jnp.int32(1))
    np.testing.assert_array_equal(out.keys[:, 1:3], rows.keys)
    np.testing.assert_array_equal(out.values[:, 1:3], rows.values)
    np.testing.assert_array_equal(out.keys[:, [0, 3]], cache.keys[:, [0, 3]])
    np.testing.assert_array_equal(out.values[:, [0, 3]], cache.values[:, [0, 3]])


def test_put_rows_casts_to_the_cache_dtype_and_round_trips_with_take_rows():
    base = KVCache(keys=jnp.zeros((2, 3, 4, 1, 2), jnp.bfloat16), values=jnp.zeros((2, 3, 4, 1, 2), jnp.bfloat16))
    row = _cache(batch=1, layers=2, capacity=4)
    row = KVCache(keys=row.keys[..., :1, :2], values=row.values[..., :1, :2])
    out = base.put_rows(row, jnp.int32(2))
    assert out.keys.dtype == jnp.bfloat16
    back = out.take_rows(jnp.array([2]))
    np.testing.assert_array_equal(back.keys, row.keys.astype(jnp.bfloat16))
    np.testing.assert_array_equal(back.values, row.values.astype(jnp.bfloat16))
    assert not np.any(np.asarray(out.take_rows(jnp.array([0, 1])).keys, dtype=np.float32))
