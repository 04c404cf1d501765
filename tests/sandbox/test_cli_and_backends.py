"""The `python -m sandbox check` CLI, the explicit rlimits backend, the config section."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from configs.sections.sandbox import get_config
from sandbox.backends import UnisolatedBackendWarning
from sandbox.executor import SandboxExecutor
from sandbox.spec import SpecError, job_for
from sandbox.types import FunctionTest, Job


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "sandbox", "check", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_cli_prints_one_verdict_per_solution_in_order(tmp_path):
    spec = {"mode": "function", "entry_point": "pair",
            "tests": [{"args": [1, 2], "expected": [1, 2]}, {"args": [3, 4], "expected": [3, 4]}],
            "limits": {"wall_time_per_test_s": 2}}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    (tmp_path / "good.py").write_text("def pair(a, b):\n    return (a, b)\n")
    (tmp_path / "bad.py").write_text("def pair(a, b):\n    return (b, a)\n")
    (tmp_path / "loop.py").write_text("def pair(a, b):\n    while True: pass\n")
    result = _cli("spec.json", "good.py", "bad.py", "loop.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["solution"] for line in lines] == ["good.py", "bad.py", "loop.py"]
    assert [line["status"] for line in lines] == ["passed", "wrong_answer", "timeout"]
    assert {line["backend"] for line in lines} == {"gvisor"}


def test_cli_names_the_malformed_field(tmp_path):
    (tmp_path / "spec.json").write_text(json.dumps({"mode": "stdio", "tests": [{"stdin": 1}]}))
    (tmp_path / "s.py").write_text("print(1)")
    result = _cli("spec.json", "s.py", cwd=tmp_path)
    assert result.returncode == 2 and "tests[0]" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("spec, field", [
    ({"mode": "function", "tests": [{"args": [], "expected": 1}]}, "entry_point"),
    ({"mode": "function", "entry_point": "f", "tests": [{"args": 1, "expected": 1}]}, "args"),
    ({"mode": "assert", "entry_point": "f"}, "test_code"),
    ({"mode": "stdio", "tests": [{"stdin": "", "expected": ""}], "limits": {"memory": 1}},
     "limits.memory"),
    ({"mode": "shell"}, "mode"),
])
def test_spec_errors_name_the_field(spec, field):
    with pytest.raises(SpecError, match=field.replace(".", r"\.")):
        job_for(spec, "print(1)")


def test_rlimits_backend_only_by_name_and_warns_every_use(capsys):
    job = Job(mode="function", code="def f(x):\n    return x + 1\n", entry_point="f",
              tests=(FunctionTest((1,), 2),))
    with pytest.warns(UnisolatedBackendWarning):
        with SandboxExecutor(workers=1, backend="rlimits") as ex:
            first = ex.run([job])
            capsys.readouterr()
            second = ex.run([job])
            assert "WARNING" in capsys.readouterr().err  # again, on the second use
            if os.geteuid() == 0:  # even unisolated, candidate code never runs as root
                [outcome] = ex.reference("import os\ndef uid():\n    return os.getuid()\n",
                                         ["uid"], [()])
                assert outcome["uid"].value == 65534
    assert first[0].passed and second[0].passed and second[0].backend == "rlimits"
    assert SandboxExecutor().backend == "gvisor"  # the default never falls back


def test_config_section_builds_an_executor():
    config = get_config()
    config.workers = 1
    executor = SandboxExecutor.from_config(config)
    assert executor.workers == 1 and executor.backend == "gvisor"
    assert executor.limits.memory_mb == config.limits.memory_mb
