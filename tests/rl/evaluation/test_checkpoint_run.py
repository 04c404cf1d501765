"""`rl.evaluation.checkpoint_run.evaluate`: the configured suite on a generator, written to output_dir."""
import json
import os

from configs.eval import get_config
from rl.evaluation.checkpoint_run import CONFIG_FILE, evaluate
from rl.evaluation.report import RESULTS_JSON, RESULTS_MARKDOWN, SAMPLES_JSONL

from tests.rl.evaluation.doubles import ScriptedGeneratorDouble

DATA = os.path.join(os.path.dirname(__file__), "data")


def test_evaluate_writes_results_table_samples_and_resolved_config(tmp_path):
    config = get_config()
    config.output_dir = str(tmp_path / "eval")
    config.checkpoint = "scripted-double"
    config.eval.benchmarks = ("math500", "aime")
    config.eval.math500.path = os.path.join(DATA, "math500_sample.jsonl")
    config.eval.aime.path = os.path.join(DATA, "aime_sample.jsonl")
    config.eval.show_progress = False
    generator = ScriptedGeneratorDouble(lambda text, index: "\\boxed{24}" if "2^{10}" in text else "\\boxed{9}")

    document = evaluate(config, generator, sandbox=None)

    assert [b["benchmark"] for b in document["benchmarks"]] == ["math500", "aime"]
    aime_all = document["benchmarks"][1]["scores"][0]
    assert aime_all["pass_at"]["pass@1"]["mean"] == 0.5 and aime_all["num_problems"] == 2
    math_all = document["benchmarks"][0]["scores"][0]
    assert math_all["pass_at"]["pass@1"]["mean"] == 0.25               # only the divisor count is 9
    assert document["benchmarks"][0]["skipped_k"] == [5, 10]
    output = tmp_path / "eval"
    assert json.loads((output / RESULTS_JSON).read_text())["metadata"]["checkpoint"] == "scripted-double"
    assert json.loads((output / CONFIG_FILE).read_text())["eval"]["benchmarks"] == ["math500", "aime"]
    samples = [json.loads(line) for line in (output / SAMPLES_JSONL).read_text().splitlines()]
    assert len(samples) == 6 and samples[0]["finish_reasons"] == ["stop"]
    assert "| aime | 2024 | 1 | 100.0 [100.0, 100.0] |" in (output / RESULTS_MARKDOWN).read_text()
