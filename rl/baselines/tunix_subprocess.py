"""Starting the tunix baselines from our benchmarks (this module runs in the project venv):
writing the benchmark's weights as a Hugging Face directory that tunix's loader reads,
running a baseline script once with the tunix venv's interpreter and reading its JSON
line, and driving the decode baseline as a worker so its calls interleave with ours.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from rl.loaders.hf_directory import write_hf_directory
from rl.models.config import ModelConfig

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
SETUP_HINT = "create it with `bash scripts/setup_tunix_env.sh` and pass --tunix-python .venv-tunix/bin/python"


def check_tunix_python(path: str) -> str:
    """The interpreter path, if it is an executable file; else one clear error."""
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise SystemExit(f"--tunix-python {path!r} is not an executable Python interpreter; {SETUP_HINT}")
    return path


def export_baseline_weights(config: ModelConfig, tensors: Mapping[str, np.ndarray], directory: str | Path) -> Path:
    """Write the benchmark's weights (Hugging Face names) as config.json + a float32
    model.safetensors in `directory`, the form tunix's Qwen2 loader reads."""
    if config.architecture != "qwen2":
        raise SystemExit(f"the tunix baselines cover qwen2 models only; this model is {config.architecture}")
    if config.rope_scaling:
        raise SystemExit("the tunix baselines cannot run a model with RoPE scaling (tunix's Qwen2 has none)")
    write_hf_directory(directory, config, {name: np.asarray(value, np.float32) for name, value in tensors.items()})
    return Path(directory)


def _child_environment() -> dict[str, str]:
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPOSITORY_ROOT), environment.get("PYTHONPATH")]))
    return environment


def _command(python: str, module: str, arguments: Sequence[str]) -> list[str]:
    return [python, "-m", f"rl.baselines.{module}", *arguments]


def _json_object(line: str) -> Optional[dict[str, Any]]:
    if not line.startswith("{"):
        return None
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def run_tunix_baseline(python: str, module: str, arguments: Sequence[str]) -> dict[str, Any]:
    """Run `rl.baselines.<module>` with `python`, passing its progress lines through, and
    return the JSON object of its last JSON line."""
    command = _command(python, module, arguments)
    print("running the tunix baseline: " + " ".join(command), file=sys.stderr, flush=True)
    process = subprocess.Popen(command, cwd=REPOSITORY_ROOT, env=_child_environment(), stdout=subprocess.PIPE,
                               text=True)
    result = None
    for line in process.stdout:
        parsed = _json_object(line.strip())
        if parsed is not None:
            result = parsed
        else:
            print(line, end="", file=sys.stderr, flush=True)
    if process.wait() != 0 or result is None:
        raise RuntimeError(f"the tunix baseline {' '.join(command)} exited with status {process.returncode} "
                           f"{'and no JSON result' if result is None else ''}; its error output is above")
    return result


class TunixDecodeWorker:
    """`rl.baselines.tunix_decode --serve` in a child process: one request, one reply."""

    def __init__(self, python: str, model_dir: str | Path, dtype: str):
        self.command = _command(python, "tunix_decode", ["--serve", "--model", str(model_dir), "--dtype", dtype])
        print("starting the tunix decode worker: " + " ".join(self.command), file=sys.stderr, flush=True)
        self._process = subprocess.Popen(self.command, cwd=REPOSITORY_ROOT, env=_child_environment(),
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.ready = self._reply()

    def _reply(self) -> dict[str, Any]:
        for line in self._process.stdout:
            parsed = _json_object(line.strip())
            if parsed is not None:
                return parsed
            print(line, end="", file=sys.stderr, flush=True)
        status = self._process.wait()
        raise RuntimeError(f"the tunix decode worker ({' '.join(self.command)}) exited with status {status} "
                           "before answering; its error output is above")

    def decode(self, prompts_path: str | Path, new_tokens: int, return_tokens: bool = False) -> dict[str, Any]:
        """Seconds of one greedy call on the prompts in `prompts_path` (and the tokens, if asked)."""
        request = {"prompts": str(prompts_path), "new_tokens": int(new_tokens), "return_tokens": return_tokens}
        try:
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
        except BrokenPipeError:
            pass  # the worker has gone; _reply reports its exit status
        return self._reply()

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.stdin.close()
            try:
                self._process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def __enter__(self) -> "TunixDecodeWorker":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
