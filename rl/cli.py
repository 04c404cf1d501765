"""The `--config=configs/x.py[:arg] --config.a.b=value` command line shared by every
experiment entry point (rl.train, rl.evaluate, rl.main, data_gen.main, data_gen.serve).

Owns turning what a user typed into a validated config, or into one line on stderr and
exit code 2 before anything starts: a missing or broken config file, an unknown field
(with the closest valid names), a value of the wrong type, a value out of range (each
section's `validate`, through `configs.validation.validate_config`), and what the config
asks of the machine that is not there (runsc, a model pack, a checkpoint path:
`rl.preflight`). Errors raised later, inside a run, are the run's own.
"""
from __future__ import annotations

import difflib
import importlib.util
import os
import sys
from typing import Callable, Optional, Sequence

from absl import app, flags
from ml_collections import config_dict, config_flags

from configs.validation import ConfigError, validate_config
from rl import preflight as preflight_lib

FLAG_NAME = "config"
EXIT_USAGE = 2


class UsageError(Exception):
    """Something the user typed or must install; its message is one line that names the fix."""


def _fail(program: str, message: str) -> None:
    first_line = " ".join(str(message).split())
    print(f"{program}: error: {first_line}", file=sys.stderr, flush=True)
    sys.exit(EXIT_USAGE)


def _config_argument(argv: Sequence[str]) -> Optional[str]:
    """The value given to --config (`--config=X` or `--config X`), if any."""
    for index, argument in enumerate(argv):
        if argument.startswith(f"--{FLAG_NAME}="):
            return argument.split("=", 1)[1]
        if argument == f"--{FLAG_NAME}" and index + 1 < len(argv):
            return argv[index + 1]
    return None


def _overrides(argv: Sequence[str]) -> list[tuple[str, str]]:
    """(dotted field, raw value) of each --config.a.b=value / --config.a.b value."""
    found = []
    prefix = f"--{FLAG_NAME}."
    for index, argument in enumerate(argv):
        if not argument.startswith(prefix):
            continue
        field, has_value, value = argument[len(prefix):].partition("=")
        if not has_value and index + 1 < len(argv):
            value = argv[index + 1]
        found.append((field, value))
    return found


def load_config_file(argument: str) -> config_dict.ConfigDict:
    """The config that `--config=argument` names (a path, optionally `:arg`), loaded the way
    ml_collections does; `UsageError` for a missing file or a get_config that refuses."""
    path, _, config_argument = argument.partition(":")
    if not os.path.isfile(path):
        raise UsageError(f"config file {path!r} does not exist (from --config={argument}); "
                         "give one of configs/*.py, e.g. --config=configs/train.py")
    spec = importlib.util.spec_from_file_location("_cli_config", os.path.abspath(path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, "get_config"):
        raise UsageError(f"config file {path} has no get_config()")
    try:
        return module.get_config(config_argument) if config_argument else module.get_config()
    except (ValueError, TypeError, KeyError) as error:
        raise UsageError(f"--config={argument}: {error}") from None


def _all_fields(config: config_dict.ConfigDict, prefix: str = "") -> list[str]:
    fields = []
    for key, value in config.items():
        fields.append(prefix + key)
        if isinstance(value, config_dict.ConfigDict):
            fields.extend(_all_fields(value, prefix + key + "."))
    return fields


def unknown_field_message(config: config_dict.ConfigDict, field: str) -> Optional[str]:
    """None when `field` (dotted) exists in `config`; else the message naming the closest
    valid fields."""
    node = config
    parts = field.split(".")
    for depth, part in enumerate(parts):
        if isinstance(node, config_dict.ConfigDict) and part in node:
            node = node[part]
            continue
        parent = ".".join(parts[:depth])
        siblings = [parent + "." + key if parent else key
                    for key in (node.keys() if isinstance(node, config_dict.ConfigDict) else ())]
        close = difflib.get_close_matches(field, _all_fields(config), n=3, cutoff=0.8)
        close = close or difflib.get_close_matches(".".join(parts[:depth + 1]), siblings, n=3, cutoff=0.7)
        if close:
            hint = "did you mean " + " or ".join(f"--config.{name}" for name in close) + "?"
        elif siblings:
            hint = (f"the fields of {parent or 'the config'} are: " + ", ".join(sorted(s.split('.')[-1]
                                                                                   for s in siblings)))
        else:
            hint = f"{parent} is a value, not a section"
        return f"unknown config field --config.{field}; {hint}"
    return None


def _type_message(config: config_dict.ConfigDict, field: str, value: str, error: Exception) -> Optional[str]:
    node = config
    for part in field.split("."):
        node = node[part]
    wanted = type(node).__name__ if node is not None else "value"
    wanted = ("an " if wanted[0] in "aeiou" else "a ") + wanted
    detail = str(error).splitlines()[-1] if str(error).strip() else type(error).__name__
    detail = detail.split(": ", 1)[-1] if detail.startswith("flag --") else detail
    return f"--config.{field}={value}: the field takes {wanted} ({detail})"


def diagnose(argv: Sequence[str], error: BaseException) -> str:
    """One line saying what in `argv` made parsing fail with `error`."""
    argument = _config_argument(argv)
    if argument is None:
        return str(error)
    try:
        config = load_config_file(argument)
    except UsageError as usage:
        return str(usage)
    except Exception as load_error:  # noqa: BLE001 - a broken config file: say where and what
        return f"config file {argument.partition(':')[0]} fails to load: {type(load_error).__name__}: {load_error}"
    for field, value in _overrides(argv):
        message = unknown_field_message(config, field)
        if message:
            return message
    for field, value in _overrides(argv):
        if f"--{FLAG_NAME}.{field}" in str(error) or f"'{field.split('.')[-1]}'" in str(error):
            return _type_message(config, field, value, error)
    text = str(error).strip().splitlines()
    return text[-1] if text else type(error).__name__


def parse_config(argv: Sequence[str], usage: str) -> config_dict.ConfigDict:
    """Parse `argv` (with the program name first) into a validated config; raises
    `UsageError` with one line for anything the user must change."""
    app.define_help_flags()             # --help / --helpfull, as under app.run
    if FLAG_NAME not in flags.FLAGS:
        config_flags.DEFINE_config_file(FLAG_NAME, None, "an ml_collections config file (configs/*.py)",
                                        lock_config=True)
    argument = _config_argument(argv[1:])
    asks_for_help = any(a.split("=")[0] in ("--help", "--helpfull", "--helpshort", "-h", "-?") for a in argv[1:])
    if argument is None and not asks_for_help:
        raise UsageError(f"give a config file; usage: {usage}")
    try:
        remaining = flags.FLAGS(list(argv))
        config = flags.FLAGS[FLAG_NAME].value
        config.get("__probe__")         # an unloadable file surfaces here, not later inside the run
    except Exception as error:  # noqa: BLE001 - every parse failure becomes one diagnosed line
        raise UsageError(diagnose(argv[1:], error)) from None
    if len(remaining) > 1:
        raise UsageError(f"unexpected arguments {remaining[1:]}; usage: {usage}")
    if config is None:
        raise UsageError(f"give a config file; usage: {usage}")
    try:
        validate_config(config)
    except ConfigError as error:
        raise UsageError(str(error)) from None
    return config


def run_with_config(main: Callable, usage: str, argv: Optional[Sequence[str]] = None,
                    preflight: Optional[Callable] = None) -> None:
    """Parse and validate the config, check the machine (`rl.preflight.check_config`, then
    `preflight(config)` if given), and call `main(config)` under absl. Every `UsageError`
    (and `rl.preflight.SetupError`) ends the program with one line and exit code 2."""
    argv = list(sys.argv if argv is None else argv)
    program = "python -m " + usage.split()[2] if usage.startswith("python -m ") else os.path.basename(argv[0])
    try:
        config = parse_config(argv, usage)
        preflight_lib.check_config(config)
        if preflight is not None:
            preflight(config)
    except (UsageError, preflight_lib.SetupError) as error:
        _fail(program, str(error))

    def absl_main(_):
        try:
            main(config)
        except preflight_lib.SetupError as error:
            _fail(program, str(error))

    app.run(absl_main, argv=[argv[0]], flags_parser=lambda _argv: [argv[0]])
