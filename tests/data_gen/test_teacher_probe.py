"""The teacher probe on a scripted teacher (a test double) and the real sandbox: each
environment's rows are on disk as soon as that environment is done (a probe stopped later
keeps them), with the outcome of each reply and the counts it prints."""
import json
import os

from configs.data_gen import get_config
from data_gen import teacher_probe
from rl.generation.types import Completion, GenerationResult

VALID = "```python\ndef f(x):\n    return x * 3 + 1\n```\n```input\n4\n```\n"
NO_INPUT = "```python\ndef f(x):\n    return x - 2\n```\n"


class _ScriptedTeacherDouble:
    """Stands in for a text generator: a valid reply for even-numbered seeds, one without an
    input block for odd ones; at its first call for the second environment it reads how many
    rows the probe's file holds already."""

    def __init__(self, log_path: str, calls_per_environment: int):
        self.calls, self.log_path, self.per_environment = 0, log_path, calls_per_environment
        self.rows_on_disk_at_second_environment = None

    async def agenerate(self, requests):
        if self.calls == self.per_environment:
            with open(self.log_path) as log:
                self.rows_on_disk_at_second_environment = len(log.readlines())
        self.calls += 1
        return [GenerationResult((Completion(VALID if request.seed % 2 == 0 else NO_INPUT, 50, 20, "stop"),))
                for request in requests]


def test_rows_are_written_per_environment(tmp_path, monkeypatch):
    config = get_config()
    config.output_dir = str(tmp_path)
    config.data_gen.num_seeds = 4
    config.data_gen.environments = ("deduction", "abduction")
    config.teacher.constrained = False
    log_path = os.path.join(tmp_path, "teacher_probe.jsonl")
    double = _ScriptedTeacherDouble(log_path, calls_per_environment=4)
    monkeypatch.setattr(teacher_probe, "make_text_generator", lambda section: double)
    results = teacher_probe.probe(config)
    assert double.rows_on_disk_at_second_environment == 4
    rows = [json.loads(line) for line in open(log_path)]
    assert [(row["environment"], row["valid"]) for row in rows[:4]] == [("deduction", True), ("deduction", False)] * 2
    assert {row["reason"] for row in rows[:4] if not row["valid"]} == {"no_inputs"}
    assert results["deduction"]["valid"] == 2 and results["deduction"]["calls"] == 4 and len(rows) == 8
    assert "deduction: 2/4 valid (50%" in teacher_probe._summary_line("deduction", results["deduction"])
