"""Seeds: deterministic random windows, JSONL sources, host sharding."""
import json

import pytest

from data_gen import seeds


def test_random_code_seeds_are_deterministic_windows_of_real_source():
    first = seeds.random_code_seeds(8, rng_seed=3)
    again = seeds.random_code_seeds(8, rng_seed=3)
    other = seeds.random_code_seeds(8, rng_seed=4)
    assert [s.seed_id for s in first] == [s.seed_id for s in again]
    assert [s.seed_id for s in first] != [s.seed_id for s in other]
    for seed in first:
        lines = seed.text.split("\n")
        assert 25 <= len(lines) <= 50
        name, span = seed.provenance.rsplit(":", 1)
        start, end = map(int, span.split("-"))
        path = seeds.default_source_root() + "/" + name.split(":", 1)[1]
        with open(path, encoding="utf-8") as handle:
            assert handle.read().splitlines()[start - 1:end] == lines
    assert len({s.seed_id for s in first}) == 8


def test_jsonl_sources_skip_malformed_lines(tmp_path):
    path = tmp_path / "solutions.jsonl"
    rows = [json.dumps({"solution": f"def f(x):\n    return x + {i}\n"}) for i in range(3)]
    path.write_text(rows[0] + "\n{not json\n" + rows[1] + "\n" + json.dumps({"other": 1}) + "\n" + rows[2] + "\n")
    found = seeds.solution_seeds_from_jsonl(str(path))
    assert [s.text for s in found] == [json.loads(r)["solution"] for r in rows]
    assert all(s.kind == "solution" for s in found)

    corpus = tmp_path / "code.jsonl"
    body = "\n".join(f"def g{i}(x):\n    return x * {i}" for i in range(40))
    corpus.write_text(json.dumps({"content": body}) + "\n")
    windows = seeds.code_seeds_from_jsonl(str(corpus), count=3, rng_seed=0)
    assert len(windows) == 3 and all(w.text in body for w in windows)


def test_host_shards_cover_every_seed_exactly_once():
    items = seeds.random_code_seeds(11, rng_seed=0)
    shards = [seeds.shard_for_host(items, i, 3) for i in range(3)]
    merged = [s.seed_id for shard in shards for s in shard]
    assert sorted(merged) == sorted(s.seed_id for s in items)
    assert len(merged) == len(set(merged))
    with pytest.raises(ValueError, match="host index"):
        seeds.shard_for_host(items, 3, 3)


def test_bad_source_directory_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        seeds.random_code_seeds(1, root=str(tmp_path / "missing"))
