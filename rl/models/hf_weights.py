"""Build a `Transformer` from tensors named as in a Hugging Face checkpoint.

`model_from_hf_tensors(config, tensors)` takes {"model.embed_tokens.weight": array, ...}
(linear weights [out, in], as HF stores them), checks every expected tensor is present
with the right shape (one error names all the missing, mis-shaped and unexpected ones),
transposes to this model's [in, out] layout and casts to `config.param_dtype`. No random
initialisation happens: the module is built abstractly and filled.

The decoder layers are stored stacked (`rl.models.layer_stack`): HF's per-layer tensor
`model.layers.{i}.<name>` is row i of one [num_layers, ...] parameter. `hf_tensor_table`
is that correspondence, one entry per HF tensor; `rl.export` reads it backwards.
"""
from __future__ import annotations

from typing import Callable, Mapping, NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from rl.models.config import ModelConfig
from rl.models.transformer import Transformer
from rl.sharding import logical_spec

# Tensors a checkpoint may carry that this model recomputes or shares.
_IGNORED_SUFFIXES = ("rotary_emb.inv_freq",)

Converter = Callable[[np.ndarray], np.ndarray]


class TensorEntry(NamedTuple):
    """One HF tensor: our state path, the layer (a row of that stacked parameter; None for
    a parameter outside the layer stack), its HF name and shape, and the converter from
    the HF array to our layout (of one layer)."""
    path: tuple
    layer: Optional[int]
    hf_name: str
    hf_shape: tuple
    convert: Converter


class CheckpointMismatchError(ValueError):
    """The tensors do not fit the model config; the message lists every offending name."""


def hf_tensor_table(config: ModelConfig) -> list[TensorEntry]:
    """Every HF tensor this config needs, with where it lives in our state."""
    c = config
    d, h, kv, hd, f = c.hidden_size, c.num_heads, c.num_kv_heads, c.head_dim, c.intermediate_size
    same = lambda a: a  # noqa: E731
    entries = [TensorEntry(("embed_tokens",), None, "model.embed_tokens.weight", (c.vocab_size, d), lambda a: a.T),
               TensorEntry(("norm", "weight"), None, "model.norm.weight", (d,), same)]
    if not c.tie_word_embeddings:
        entries.append(TensorEntry(("lm_head",), None, "lm_head.weight", (c.vocab_size, d), lambda a: a.T))
    for i in range(c.num_layers):
        hf = f"model.layers.{i}."
        ours = ("layers",)
        layer_entries = [
            (ours + ("input_layernorm", "weight"), hf + "input_layernorm.weight", (d,), same),
            (ours + ("post_attention_layernorm", "weight"), hf + "post_attention_layernorm.weight", (d,), same),
            (ours + ("self_attn", "q_proj"), hf + "self_attn.q_proj.weight", (h * hd, d),
             lambda a: a.T.reshape(d, h, hd)),
            (ours + ("self_attn", "k_proj"), hf + "self_attn.k_proj.weight", (kv * hd, d),
             lambda a: a.T.reshape(d, kv, hd)),
            (ours + ("self_attn", "v_proj"), hf + "self_attn.v_proj.weight", (kv * hd, d),
             lambda a: a.T.reshape(d, kv, hd)),
            (ours + ("self_attn", "o_proj"), hf + "self_attn.o_proj.weight", (d, h * hd),
             lambda a: a.T.reshape(h, hd, d)),
            (ours + ("mlp", "gate_proj"), hf + "mlp.gate_proj.weight", (f, d), lambda a: a.T),
            (ours + ("mlp", "up_proj"), hf + "mlp.up_proj.weight", (f, d), lambda a: a.T),
            (ours + ("mlp", "down_proj"), hf + "mlp.down_proj.weight", (d, f), lambda a: a.T),
        ]
        if c.qkv_bias:
            layer_entries += [
                (ours + ("self_attn", "q_bias"), hf + "self_attn.q_proj.bias", (h * hd,), lambda a: a.reshape(h, hd)),
                (ours + ("self_attn", "k_bias"), hf + "self_attn.k_proj.bias", (kv * hd,), lambda a: a.reshape(kv, hd)),
                (ours + ("self_attn", "v_bias"), hf + "self_attn.v_proj.bias", (kv * hd,), lambda a: a.reshape(kv, hd)),
            ]
        if c.qk_norm:
            layer_entries += [
                (ours + ("self_attn", "q_norm", "weight"), hf + "self_attn.q_norm.weight", (hd,), same),
                (ours + ("self_attn", "k_norm", "weight"), hf + "self_attn.k_norm.weight", (hd,), same),
            ]
        entries += [TensorEntry(path, i, name, shape, convert) for path, name, shape, convert in layer_entries]
    return entries


def expected_hf_shapes(config: ModelConfig) -> dict[str, tuple]:
    """Every HF tensor name this config needs, with its shape."""
    return {entry.hf_name: entry.hf_shape for entry in hf_tensor_table(config)}


def check_hf_tensors(config: ModelConfig, tensors: Mapping[str, np.ndarray]) -> None:
    """Raise CheckpointMismatchError naming every missing, mis-shaped or unexpected tensor."""
    expected = expected_hf_shapes(config)
    missing = [n for n in expected if n not in tensors]
    misshaped = [f"{n} has shape {tuple(tensors[n].shape)}, expected {expected[n]}"
                 for n in expected if n in tensors and tuple(tensors[n].shape) != expected[n]]
    unexpected = [n for n in tensors if n not in expected and not n.endswith(_IGNORED_SUFFIXES)
                  and not (config.tie_word_embeddings and n == "lm_head.weight")]
    problems = []
    if missing:
        problems.append("missing: " + ", ".join(missing))
    if misshaped:
        problems.append("mis-shaped: " + "; ".join(misshaped))
    if unexpected:
        problems.append("unexpected (does the config match the checkpoint?): " + ", ".join(unexpected))
    if problems:
        raise CheckpointMismatchError(
            f"checkpoint tensors do not fit the {config.architecture} config "
            f"({config.num_layers} layers, hidden {config.hidden_size}): " + " | ".join(problems)
        )


def model_from_hf_tensors(config: ModelConfig, tensors: Mapping[str, np.ndarray],
                          mesh: Optional[jax.sharding.Mesh] = None) -> Transformer:
    """A `Transformer` holding `tensors` (HF names and [out, in] layout), cast to config.param_dtype.

    With a `mesh`, each parameter is placed sharded by its logical axes (`rl.sharding`);
    otherwise arrays go to the default device.
    """
    check_hf_tensors(config, tensors)
    abstract = nnx.eval_shape(lambda: Transformer(config, rngs=nnx.Rngs(0)))
    graphdef, state = nnx.split(abstract)
    flat = dict(nnx.to_flat_state(state))
    param_dtype = jnp.dtype(config.param_dtype)
    entries_by_path: dict[tuple, list[TensorEntry]] = {}
    for entry in hf_tensor_table(config):
        entries_by_path.setdefault(entry.path, []).append(entry)
    unfilled = set(flat) - set(entries_by_path)
    if unfilled:
        raise ValueError(f"parameters without a Hugging Face tensor: {sorted(unfilled)}")
    for path, entries in entries_by_path.items():   # one parameter on the host at a time
        variable = flat[path]
        value = np.empty(variable.shape, param_dtype)
        for entry in entries:
            source = tensors[entry.hf_name]
            if hasattr(source, "detach"):  # a torch tensor
                source = source.detach().float().numpy()
            converted = entry.convert(np.asarray(source)).astype(param_dtype, copy=False)
            target = value if entry.layer is None else value[entry.layer]
            if tuple(converted.shape) != tuple(target.shape):
                raise CheckpointMismatchError(
                    f"{entry.hf_name}: converted shape {converted.shape} != parameter shape {target.shape}")
            target[...] = converted
        placement = None
        if mesh is not None:
            spec = logical_spec(variable.get_metadata()["logical_axes"], variable.shape, mesh)
            placement = jax.sharding.NamedSharding(mesh, spec)
        variable.set_value(jax.device_put(value, placement))
    return nnx.merge(graphdef, state)
