import json
import os

from curriculum.shard_files import read_shard_texts
from tests.curriculum.doubles import make_problem, write_jsonl, write_tfrecord
from curriculum.catalog import Catalog


def test_malformed_records_are_skipped_and_counted_by_reason(work_dir):
    good = [make_problem(i, 0.5) for i in range(5)]
    wrong_schema = json.loads(good[0].to_json()) | {"schema_version": 99, "id": "x1"}
    bad_environment = json.loads(good[0].to_json()) | {"environment": "chess", "id": "x2"}
    path = write_jsonl(os.path.join(work_dir, "a.jsonl"), good + [
        "{not json", json.dumps(wrong_schema), json.dumps(bad_environment), good[1], '{"id": "y", "schema_version": 1}'])
    with open(path, "a") as handle:
        handle.write(good[2].to_json()[:40])   # a torn last line after a kill
    catalog = Catalog.from_texts(read_shard_texts([path]))
    assert [p.id for p in catalog.problems] == [p.id for p in good]
    assert catalog.skipped == {"malformed_json": 2, "schema_version": 1, "unknown_environment": 1,
                               "duplicate_problem_id": 1, "malformed_record": 1}


def test_plain_tfrecord_reader_reads_what_was_written_and_reports_a_torn_tail(work_dir):
    problems = [make_problem(i, 0.25) for i in range(4)]
    path = write_tfrecord(os.path.join(work_dir, "p.tfrecord"), problems)
    with open(path, "ab") as handle:
        handle.write(b"\x40\x00\x00")
    catalog = Catalog.from_texts(read_shard_texts([path]))
    assert catalog.problems == tuple(problems)
    assert catalog.skipped == {"torn_record": 1}


def test_chains_with_a_missing_level_are_skipped():
    from data_gen.records import Chain
    problems = [make_problem(i, 0.5) for i in range(3)]
    chains = [Chain("c0", "f", problems[0].id, problems[1].id, problems[2].id),
              Chain("c1", "f", problems[0].id, "missing", problems[2].id)]
    catalog = Catalog.from_texts([p.to_json() for p in problems], [c.to_json() for c in chains])
    assert [c.chain_id for c in catalog.chains] == ["c0"] and catalog.skipped == {"chain_level_missing": 1}
