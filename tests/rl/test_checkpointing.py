"""orbax checkpoints of the train state: round trip with RNG and extra state, keep-last-N,
asynchronous saves, fallback from a corrupt latest, and export to safetensors."""
import json
import logging
import shutil

import jax
import numpy as np
import pytest
from flax import nnx

from rl import sharding
from rl.checkpointing import Checkpointer, export_safetensors
from rl.train_step import create_train_state, make_optimizer
from tests.fixtures.tiny_model import tiny_model
from tests.rl.sharded_step_check import small_grpo_config


@pytest.fixture(scope="module")
def mesh():
    return sharding.make_mesh(1, 1, 1, jax.devices()[:1])


def _state(mesh, seed):
    _, params = nnx.split(tiny_model("qwen2", seed=seed, num_layers=1))
    state = create_train_state(sharding.shard_state(params, mesh), make_optimizer(small_grpo_config().optimizer))
    # Make the optimiser state and step non-trivial so a mix-up would show.
    return state.replace(step=state.step + 7 * (seed + 1),
                         opt_state=jax.tree.map(lambda x: x + seed + 0.5 if x.dtype == np.float32 else x, state.opt_state))


def _same(a, b):
    return all(jax.tree.leaves(jax.tree.map(lambda x, y: np.array_equal(np.asarray(x), np.asarray(y)), a, b)))


def test_round_trip_keeps_state_rng_and_extra(tmp_path, mesh, caplog):
    saved = _state(mesh, seed=1)
    rng = jax.random.fold_in(jax.random.key(3), 11)
    extra = {"curriculum": {"position": 42, "bins": [0.1, 0.5]}, "policy_version": 5}
    with Checkpointer(tmp_path, keep_last=2, async_save=True) as checkpointer:
        checkpointer.save(14, saved, rng, extra)
    with Checkpointer(tmp_path) as checkpointer, caplog.at_level(logging.INFO, logger="rl.checkpointing"):
        restored = checkpointer.restore_latest(_state(mesh, seed=0), jax.random.key(0))
    assert restored.step == 14 and restored.extra == extra
    assert _same(restored.state, saved)
    assert np.array_equal(jax.random.key_data(restored.rng), jax.random.key_data(rng))
    assert "restored checkpoint at step 14" in caplog.text
    leaf = jax.tree.leaves(restored.state.params)[0]
    assert leaf.sharding.mesh == mesh


def test_empty_directory_restores_nothing(tmp_path, mesh):
    with Checkpointer(tmp_path / "none") as checkpointer:
        assert checkpointer.restore_latest(_state(mesh, 0), jax.random.key(0)) is None


def test_keeps_last_n_and_corrupt_latest_falls_back(tmp_path, mesh, caplog):
    states = {step: _state(mesh, seed=step) for step in (1, 2, 3)}
    with Checkpointer(tmp_path, keep_last=2) as checkpointer:
        for step, state in states.items():
            checkpointer.save(step, state, jax.random.key(step), {"step": step})
        checkpointer.wait_until_finished()
        assert checkpointer.steps() == [2, 3]
    # Corrupt the latest: remove its array data, keeping the directory as if a write was torn.
    state_dir = tmp_path / "3" / "state"
    for child in state_dir.iterdir():
        if child.is_dir():
            shutil.rmtree(child)
        elif child.name != "_CHECKPOINT_METADATA":
            child.write_bytes(b"torn")
    with Checkpointer(tmp_path, keep_last=2) as checkpointer, caplog.at_level(logging.INFO, logger="rl.checkpointing"):
        restored = checkpointer.restore_latest(_state(mesh, 0), jax.random.key(0))
    assert restored.step == 2 and restored.extra == {"step": 2}
    assert _same(restored.state, states[2])
    assert "step 3" in caplog.text and "falling back" in caplog.text


def test_extra_state_must_be_json(tmp_path, mesh):
    with Checkpointer(tmp_path) as checkpointer, pytest.raises(ValueError, match="JSON"):
        checkpointer.save(1, _state(mesh, 0), jax.random.key(0), {"bad": object()})


def test_export_safetensors_loads_in_transformers(tmp_path):
    import torch
    import transformers

    model = tiny_model("qwen2", seed=3)
    _, params = nnx.split(model)
    export_safetensors(params, model.config, tmp_path / "export")
    assert json.loads((tmp_path / "export" / "config.json").read_text())["model_type"] == "qwen2"
    hf_model = transformers.AutoModelForCausalLM.from_pretrained(str(tmp_path / "export")).eval()
    tokens = np.array([[1, 5, 9, 200, 17, 3]], dtype=np.int32)
    ours = np.asarray(model(tokens))
    with torch.no_grad():
        theirs = hf_model(torch.tensor(tokens, dtype=torch.long)).logits.numpy()
    np.testing.assert_allclose(ours, theirs, atol=2e-4, rtol=1e-4)


def test_round_trip_and_resume_policy_on_another_filesystem_scheme(tmp_path, mesh, monkeypatch):
    """Checkpoints on a non-local scheme (tests/fixtures/mapped_scheme.py: testfs://, an
    object-store-like filesystem mapped onto tmp_path): saved, listed, restored and moved
    aside by the resume policy there, never under <cwd>/testfs:."""
    from rl.checkpointing import apply_resume_policy, complete_steps
    from tests.fixtures.mapped_scheme import mapped_scheme

    monkeypatch.chdir(tmp_path)
    storage = tmp_path / "storage"
    storage.mkdir()
    with mapped_scheme(storage, monkeypatch):
        directory = "testfs://bucket/run1/checkpoints"
        saved, rng = _state(mesh, seed=1), jax.random.key(5)
        with Checkpointer(directory, keep_last=2, async_save=True) as checkpointer:
            checkpointer.save(3, saved, rng, {"k": 1})
            checkpointer.save(4, saved, rng, {"k": 2})
        assert complete_steps(directory) == [3, 4]
        assert sorted(p.name for p in (storage / "bucket/run1/checkpoints").iterdir() if p.name.isdigit()) == ["3", "4"]
        with Checkpointer(directory) as checkpointer:
            restored = checkpointer.restore_latest(_state(mesh, seed=0), jax.random.key(0))
        assert restored.step == 4 and restored.extra == {"k": 2} and _same(restored.state, saved)
        assert apply_resume_policy(directory, "never", overwrite=True) == []
        assert complete_steps(directory) == []
        moved = [p for p in (storage / "bucket/run1").iterdir() if p.name.startswith("checkpoints.replaced-")]
        assert len(moved) == 1 and (moved[0] / "4").is_dir()
    assert not (tmp_path / "testfs:").exists()


def test_checkpoint_written_before_the_layer_stack_restores_stacked(tmp_path, mesh, caplog):
    from rl.checkpointing import _per_layer_layout

    def per_layer(tree):
        """Real arrays in the layout before the stack: layers.0 ... layers.N-1."""
        abstract = _per_layer_layout(jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype), tree))
        layers_of = {}

        def split(node):
            if isinstance(node, nnx.State) and "layers" in node:
                raw = node.raw_mapping
                count = jax.tree.leaves(raw["layers"])[0].shape[0]
                layers = {i: jax.tree.map(lambda x, i=i: x[i], raw["layers"]) for i in range(count)}
                return nnx.State({k: layers if k == "layers" else v for k, v in raw.items()})
            return node
        out = jax.tree.map(split, tree, is_leaf=lambda n: isinstance(n, nnx.State) and "layers" in n)
        assert jax.tree.structure(out) == jax.tree.structure(abstract)
        return out

    _, params = nnx.split(tiny_model("qwen2", seed=4, num_layers=3))
    stacked = create_train_state(sharding.shard_state(params, mesh), make_optimizer(small_grpo_config().optimizer))
    stacked = stacked.replace(opt_state=jax.tree.map(lambda x: x + 0.25 if x.dtype == np.float32 else x,
                                                     stacked.opt_state))
    old = stacked.replace(params=per_layer(stacked.params), opt_state=per_layer(stacked.opt_state))
    with Checkpointer(tmp_path, async_save=False) as checkpointer:
        checkpointer.save(6, old, jax.random.key(2))
    _, fresh = nnx.split(tiny_model("qwen2", seed=9, num_layers=3))
    like = create_train_state(sharding.shard_state(fresh, mesh), make_optimizer(small_grpo_config().optimizer))
    with Checkpointer(tmp_path) as checkpointer, caplog.at_level(logging.INFO, logger="rl.checkpointing"):
        restored = checkpointer.restore_latest(like, jax.random.key(0))
    assert restored.step == 6 and "written before the layer stack" in caplog.text
    assert jax.tree.structure(restored.state) == jax.tree.structure(like)
    assert _same(restored.state, stacked)
    assert jax.tree.leaves(restored.state.params)[0].sharding.mesh == mesh
