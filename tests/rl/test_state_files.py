"""State files are replaced whole or not at all; an output directory has one writer;
the main job finds its evaluation cache under the name the evaluation writes."""
import json
import os
import subprocess
import sys

import pytest

from rl.evaluation.report import RESULTS_JSON
from rl.state_files import (OutputDirLock, OutputDirLockedError, read_json_or_none,
                            write_json_atomic)


def test_atomic_write_leaves_old_or_new_never_torn(tmp_path):
    path = tmp_path / "state.json"
    write_json_atomic(str(path), {"a": 1})
    write_json_atomic(str(path), {"a": 2})
    assert json.loads(path.read_text()) == {"a": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]
    path.write_text('{"a": ')  # a torn file from an old, non-atomic writer
    assert read_json_or_none(str(path)) is None


def test_a_killed_writer_never_leaves_broken_json(tmp_path):
    path = tmp_path / "state.json"
    write_json_atomic(str(path), {"n": 0})
    writer = subprocess.Popen([sys.executable, "-c", (
        "import sys; sys.path.insert(0, %r)\n"
        "from rl.state_files import write_json_atomic\n"
        "n = 0\n"
        "while True:\n"
        "    n += 1\n"
        "    write_json_atomic(%r, {'n': n, 'pad': 'x' * 200000})\n") % (os.getcwd(), str(path))])
    try:
        for _ in range(30):
            document = read_json_or_none(str(path))
            assert document is not None and isinstance(document["n"], int)
    finally:
        writer.kill()
        writer.wait()
    assert read_json_or_none(str(path)) is not None


def test_a_second_run_on_the_same_output_dir_is_refused(tmp_path):
    with OutputDirLock(str(tmp_path)):
        with pytest.raises(OutputDirLockedError, match="in use by another run"):
            with OutputDirLock(str(tmp_path)):
                pass
    with OutputDirLock(str(tmp_path)):  # released on exit
        pass


def test_main_reads_the_evaluation_cache_it_writes(tmp_path, monkeypatch):
    from rl import main
    directory = tmp_path / "eval_before"
    directory.mkdir()
    (directory / RESULTS_JSON).write_text(json.dumps({"benchmarks": [], "cached": True}))
    monkeypatch.setattr(main, "run_suite", lambda *a, **k: pytest.fail("evaluation reran"))
    assert main._evaluate(None, None, None, str(directory), "before")["cached"] is True
