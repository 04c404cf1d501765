"""Append-only shards: torn tails are repaired, malformed lines skipped and counted."""
from data_gen import shards
from data_gen.records import Chain


def _chain(i):
    return Chain(chain_id=f"c{i}", family_id="fam", hard_id=f"h{i}", medium_id=f"m{i}", easy_id=f"e{i}")


def test_torn_tail_is_repaired_and_appending_continues(tmp_path):
    path = str(tmp_path / "chains.jsonl")
    with shards.ShardWriter(path) as writer:
        writer.write(_chain(0))
        writer.write(_chain(1))
    with open(path, "a") as handle:
        handle.write(_chain(2).to_json()[:25])  # killed mid-write
    stats = shards.ReadStats()
    assert [c.chain_id for c in shards.read_records(path, Chain.from_json, stats)] == ["c0", "c1"]
    assert stats.skipped["torn_last_line"] == 1
    with shards.ShardWriter(path) as writer:
        assert writer.torn_tail_repaired
        writer.write(_chain(2))
    assert [c.chain_id for c in shards.read_records(path, Chain.from_json)] == ["c0", "c1", "c2"]


def test_malformed_lines_are_skipped_with_reason(tmp_path):
    path = tmp_path / "chains.jsonl"
    path.write_text(_chain(0).to_json() + "\n{broken\n" + '{"chain_id": "x", "schema_version": 99}\n'
                    + _chain(1).to_json() + "\n")
    stats = shards.ReadStats()
    assert [c.chain_id for c in shards.read_records(str(path), Chain.from_json, stats)] == ["c0", "c1"]
    assert stats.read == 2 and sum(stats.skipped.values()) == 2
