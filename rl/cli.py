"""The `--config=configs/x.py --config.a.b=value` flag shared by every experiment entry
point (rl.train, rl.evaluate, rl.main, data_gen.main, data_gen.serve)."""
from __future__ import annotations

import sys
from typing import Callable

from absl import app, flags
from ml_collections import config_flags

FLAG_NAME = "config"


def run_with_config(main: Callable, usage: str) -> None:
    """Define the config flag, parse argv, and call `main(config)`; a missing --config
    prints `usage` instead of a traceback."""
    if FLAG_NAME not in flags.FLAGS:
        config_flags.DEFINE_config_file(FLAG_NAME, None, "an ml_collections config file (configs/*.py)",
                                        lock_config=True)

    def absl_main(argv):
        if len(argv) > 1:
            sys.exit(f"unexpected arguments {argv[1:]}; usage: {usage}")
        config = flags.FLAGS[FLAG_NAME].value
        if config is None:
            sys.exit(f"give a config file; usage: {usage}")
        main(config)

    app.run(absl_main)
