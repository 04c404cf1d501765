"""scripts/launch_tpu_pod.sh on a pod, as its dry run prints it for a 4-worker slice: the
checkout copied to every worker, set up there with scripts/quickstart.sh (runsc and the
.venv), then one detached process per host with its own log; and the start command, run
here through bash, returns at once while the process runs on and writes its log."""
import os
import shlex
import subprocess
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "launch_tpu_pod.sh")
POD = ["--tpu", "pod-a", "--zone", "us-east5-a", "--project", "proj"]
TRAIN = [".venv/bin/python", "-m", "rl.train", "--config=configs/paper/qwen3_8b_base.py",
         "--config.output_dir=gs://bucket/run 1"]


def _dry_run(*arguments):
    result = subprocess.run(["bash", SCRIPT, *arguments], capture_output=True, text=True, timeout=300, cwd="/")
    assert result.returncode == 0, result.stderr
    return [shlex.split(line) for line in result.stdout.splitlines()]


def _remote(words):
    return next(w for w in words if w.startswith("--command="))[len("--command="):]


@pytest.fixture(scope="module")
def commands():
    return _dry_run(*POD, "--workers", "4", "--repo", "rl dir", "--log-dir", "logs/run1", "--dry-run", "--", *TRAIN)


def test_the_checkout_goes_to_every_worker(commands):
    archive_command, copies = commands[0], commands[1:5]
    assert archive_command[:3] == ["git", "archive", "--format=tar.gz"]
    archive = archive_command[3][len("--output="):]
    assert archive.endswith(".tar.gz") and len(archive_command) == 5    # and the commit of the working tree
    for worker, words in enumerate(copies):
        assert words[:6] == ["gcloud", "compute", "tpus", "tpu-vm", "scp", archive]
        assert words[6].startswith("pod-a:/tmp/") and words[6].endswith(".tar.gz")
        assert words[7:] == ["--zone=us-east5-a", "--project=proj", f"--worker={worker}"]


def test_every_worker_unpacks_and_sets_up_with_the_projects_script(commands):
    remote_archive = commands[1][6].split(":", 1)[1]
    for worker, words in enumerate(commands[5:9]):
        assert words[:6] == ["gcloud", "compute", "tpus", "tpu-vm", "ssh", "pod-a"]
        assert words[6:9] == ["--zone=us-east5-a", "--project=proj", f"--worker={worker}"]
        assert shlex.split(_remote(words)) == [
            "mkdir", "-p", "rl dir", "&&", "tar", "-xzf", remote_archive, "-C", "rl dir", "&&",
            "rm", "-f", remote_archive, "&&", "cd", "rl dir", "&&", "EXTRAS=tpu", "bash", "scripts/quickstart.sh", "setup"]


def test_one_detached_process_per_host_with_its_own_log(commands):
    assert len(commands) == 13
    for worker, words in enumerate(commands[9:13]):
        assert words[:9] == ["gcloud", "compute", "tpus", "tpu-vm", "ssh", "pod-a", "--zone=us-east5-a",
                             "--project=proj", f"--worker={worker}"]
        remote = shlex.split(_remote(words))
        assert remote[:9] == ["cd", "rl dir", "&&", "mkdir", "-p", "logs/run1", "&&", "{", "JAX_NUM_PROCESSES=auto"]
        assert remote[9:11] == ["setsid", "nohup"] and remote[11:16] == TRAIN
        assert remote[16:23] == [">", f"logs/run1/worker-{worker}.log", "2>&1", "<", "/dev/null", "&", "}"]


def test_skip_setup_only_unpacks(commands):
    skipped = _dry_run(*POD, "--workers", "2", "--skip-setup", "--dry-run", "--", *TRAIN)
    assert len(skipped) == 1 + 2 * 3
    for words in skipped[3:5]:
        assert "quickstart.sh" not in _remote(words) and "tar -xzf" in _remote(words)


def test_the_start_command_returns_at_once_and_the_process_runs_on(tmp_path):
    """Worker 0's start command, run through bash here: it comes back while the command
    (which outlives it) still sleeps, and the command's output lands in the worker's log."""
    (tmp_path / "repo").mkdir()
    program = "import os, time; time.sleep(2); print('process count', os.environ['JAX_NUM_PROCESSES'], flush=True)"
    words = _dry_run(*POD, "--workers", "1", "--repo", str(tmp_path / "repo"), "--log-dir", "logs/run1",
                     "--dry-run", "--", "python3", "-c", program)
    started = time.monotonic()
    result = subprocess.run(["bash", "-c", _remote(words[-1])], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and time.monotonic() - started < 1.5, result.stderr
    assert result.stdout.startswith("worker 0: pid ")
    log = tmp_path / "repo/logs/run1/worker-0.log"
    deadline = time.monotonic() + 30
    while "process count" not in (log.read_text() if log.exists() else "") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert log.read_text() == "process count auto\n"


def test_a_dry_run_needs_the_worker_count_and_bad_counts_are_refused():
    no_count = subprocess.run(["bash", SCRIPT, *POD, "--dry-run", "--", "python"], capture_output=True, text=True,
                              timeout=300)
    assert no_count.returncode == 2 and "--workers" in no_count.stderr
    bad = subprocess.run(["bash", SCRIPT, *POD, "--workers", "x", "--dry-run", "--", "python"], capture_output=True,
                         text=True, timeout=300)
    assert bad.returncode == 2 and "--workers" in bad.stderr


@pytest.mark.parametrize("name,hosts", [("llama3_1_8b_instruct", 4), ("qwen3_8b_base", 4), ("qwen2_5_32b", 16)])
def test_the_paper_configs_launch_commands_run_through_the_launcher(name, hosts):
    """The command in each paper config's docstring, as a dry run on its slice's hosts."""
    import importlib

    docstring = importlib.import_module(f"configs.paper.{name}").__doc__
    start = docstring.index("scripts/launch_tpu_pod.sh")
    words = shlex.split(docstring[start:docstring.index("\n\n", start)].replace("\\\n", " "))
    assert words[0] == "scripts/launch_tpu_pod.sh"
    commands = _dry_run(*words[1:words.index("--")], "--workers", str(hosts), "--dry-run", *words[words.index("--"):])
    starts = [shlex.split(_remote(c)) for c in commands[1 + 2 * hosts:]]
    assert len(starts) == hosts
    for remote in starts:
        assert f"--config=configs/paper/{name}.py" in remote and "--config.train.seed=0" in remote
        assert next(w for w in remote if w.startswith("--config.output_dir=")).startswith("--config.output_dir=gs://")


def test_a_wheel_launch_sends_the_wheel_with_the_setup_script_and_configs(tmp_path):
    """--wheel: the archive (made here by running the printed command) holds the wheel,
    scripts/quickstart.sh and configs/, and each worker's setup installs that wheel."""
    wheel = tmp_path / "synthcurriculum_rl-0.1-py3-none-any.whl"
    wheel.write_bytes(b"not really a wheel")
    commands = _dry_run(*POD, "--workers", "2", "--wheel", str(wheel), "--dry-run", "--", *TRAIN)
    assert len(commands) == 1 + 2 * 3
    pack = commands[0]
    archive = pack[pack.index("-czf") + 1]
    pack[pack.index("-czf") + 1] = str(tmp_path / "code.tar.gz")
    subprocess.run(pack, check=True, timeout=60)
    listed = subprocess.run(["tar", "-tzf", str(tmp_path / "code.tar.gz")], capture_output=True, text=True,
                            check=True).stdout.split()
    assert wheel.name in listed and "scripts/quickstart.sh" in listed and "configs/train.py" in listed
    assert not any("__pycache__" in name or name.startswith(("rl/", "tests/")) for name in listed)
    assert archive.endswith(".tar.gz")
    for words in commands[3:5]:
        remote = shlex.split(_remote(words))
        assert remote[remote.index("cd") + 2:] == ["&&", f"WHEEL={wheel.name}", "EXTRAS=tpu", "bash",
                                                   "scripts/quickstart.sh", "setup"]


def test_a_missing_wheel_is_refused_before_anything_runs(tmp_path):
    launch = subprocess.run(["bash", SCRIPT, *POD, "--workers", "2", "--wheel", str(tmp_path / "none.whl"), "--",
                             "python"], capture_output=True, text=True, timeout=60)
    assert launch.returncode == 2 and "no wheel at" in launch.stderr
    not_a_wheel = subprocess.run(["bash", SCRIPT, *POD, "--workers", "2", "--wheel", "code.tar.gz", "--dry-run",
                                  "--", "python"], capture_output=True, text=True, timeout=60)
    assert not_a_wheel.returncode == 2 and ".whl" in not_a_wheel.stderr
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts/quickstart.sh").write_text(open(os.path.join(ROOT, "scripts/quickstart.sh")).read())
    setup = subprocess.run(["bash", "scripts/quickstart.sh", "setup"], cwd=tmp_path, capture_output=True, text=True,
                           timeout=60, env=dict(os.environ, WHEEL="none.whl"))
    assert setup.returncode == 2 and "WHEEL=none.whl: no such file" in setup.stderr
    assert not (tmp_path / ".venv").exists()
