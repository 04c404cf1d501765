"""The decoder layers stored stacked, and the scan over them.

  stacked_layers(config, rngs) -> DecoderLayer   one module whose every parameter has a
                                                 leading [num_layers] axis, logical name "layers"
  scan_layers(layers, step, carry, xs=None, remat=False) -> (carry, ys)
                                                 `jax.lax.scan` of step(layer, carry, x) over them
  per_layer_rank(path, leaf)                     a state leaf's rank within one layer

The stack is built once (at init, or abstractly by the loaders) and every forward path
scans over the stored arrays: each scan step merges one layer's slice into a `DecoderLayer`,
so nothing restacks or copies the whole stack per call. The "layers" axis maps to no mesh
axis (`rl.sharding.LOGICAL_AXIS_RULES`): every device holds its shard of every layer.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import jax
import jax.numpy as jnp
from flax import nnx

from rl.models.config import ModelConfig
from rl.models.layers import DecoderLayer

LAYER_AXIS = "layers"   # the logical axis name of the leading dimension
STATE_KEY = "layers"    # the Transformer attribute (and state entry) holding the stack


def _is_variable(node: Any) -> bool:
    return isinstance(node, nnx.Variable)


def stacked_layers(config: ModelConfig, *, rngs: nnx.Rngs) -> DecoderLayer:
    """`config.num_layers` decoder layers as one `DecoderLayer` whose parameters are
    [num_layers, ...] with logical axes ("layers", ...).

    The layers are initialised one after another from `rngs`, so they hold the same random
    numbers as a list of layers built in order would. The stack is assembled one parameter at
    a time, each layer's copy dropped once stacked, so the peak is the layers plus one stacked
    parameter (not two copies of the stack)."""
    layers = [DecoderLayer(config, rngs=rngs) for _ in range(config.num_layers)]
    graphdef = nnx.graphdef(layers[0])
    per_layer = [jax.tree.flatten(nnx.state(layer), is_leaf=_is_variable) for layer in layers]
    treedef = per_layer[0][1]
    columns = [leaves for leaves, _ in per_layer]
    del layers, per_layer
    stacked = []
    for index in range(len(columns[0])):
        variables = [leaves[index] for leaves in columns]
        for leaves in columns:
            leaves[index] = None
        axes = tuple(variables[0].get_metadata()["logical_axes"])
        stacked.append(variables[0].replace(jnp.stack([v.get_value() for v in variables]),
                                            logical_axes=(LAYER_AXIS,) + axes))
        del variables
    return nnx.merge(graphdef, jax.tree.unflatten(treedef, stacked))


def scan_layers(layers: DecoderLayer, step: Callable[[DecoderLayer, Any, Any], tuple[Any, Any]], carry: Any,
                xs: Optional[Any] = None, *, remat: bool = False) -> tuple[Any, Any]:
    """`jax.lax.scan` over the stacked `layers`: step(layer, carry, x) -> (carry, y) sees one
    layer (a `DecoderLayer` over that layer's slice of the stored arrays) and the matching
    slice of `xs`; returns the final carry and the ys stacked on a leading layer axis.

    With `remat`, each step is a `jax.checkpoint`: the backward pass visits one layer at a
    time and keeps only each layer's carry (a Python loop of rematerialised layers saves no
    memory on XLA:CPU, whose scheduler runs the recomputations early: for 24 layers x 8
    sequences x 704 tokens the train step needed 31.9 GiB of temporaries with remat and
    32.3 GiB without)."""
    graphdef, state = nnx.split(layers)

    def body(carry, layer_and_x):
        layer_state, x = layer_and_x
        return step(nnx.merge(graphdef, layer_state), carry, x)

    if remat:
        body = jax.checkpoint(body)
    return jax.lax.scan(body, carry, (state, xs))


def per_layer_rank(path: tuple, leaf: Any) -> int:
    """The rank a parameter of the model's state has within one layer: a leaf under the
    stack (the state's "layers" entry, as `jax.tree_util` paths name it) counts without its
    leading layer axis. For rules written per layer, such as "weight-decay matrices only"."""
    stacked = bool(path) and getattr(path[0], "key", None) == STATE_KEY
    return leaf.ndim - 1 if stacked else leaf.ndim
