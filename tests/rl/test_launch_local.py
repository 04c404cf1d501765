"""The launchers without JAX work: rl.launch_local gives each process its identity and
stops the rest when one fails; scripts/launch_tpu_pod.sh --local goes through it and
incomplete arguments are refused (the pod launch: tests/scripts/test_launch_tpu_pod.py)."""
import json
import os
import subprocess
import sys

from rl import launch_local

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "launch_tpu_pod.sh")

REPORT_IDENTITY = (
    "import json, os, sys; "
    "names = ('JAX_COORDINATOR_ADDRESS', 'JAX_NUM_PROCESSES', 'JAX_PROCESS_ID', 'XLA_FLAGS', 'JAX_PLATFORMS'); "
    "json.dump({n: os.environ.get(n) for n in names}, "
    "open(os.path.join(sys.argv[1], 'identity-' + os.environ['JAX_PROCESS_ID'] + '.json'), 'w'))"
)


def test_each_process_gets_its_identity_and_one_coordinator(tmp_path):
    status = launch_local.launch([sys.executable, "-c", REPORT_IDENTITY, str(tmp_path)], process_count=3,
                                 devices_per_process=2, log_dir=str(tmp_path / "logs"), timeout_s=120)
    assert status == 0
    identities = [json.load(open(tmp_path / f"identity-{i}.json")) for i in range(3)]
    assert [int(x["JAX_PROCESS_ID"]) for x in identities] == [0, 1, 2]
    assert {x["JAX_NUM_PROCESSES"] for x in identities} == {"3"}
    addresses = {x["JAX_COORDINATOR_ADDRESS"] for x in identities}
    assert len(addresses) == 1 and addresses.pop().startswith("127.0.0.1:")
    assert all("--xla_force_host_platform_device_count=2" in x["XLA_FLAGS"] for x in identities)
    assert {x["JAX_PLATFORMS"] for x in identities} == {"cpu"}
    assert sorted(os.listdir(tmp_path / "logs")) == ["process-0.log", "process-1.log", "process-2.log"]


def test_one_failure_stops_the_others_and_is_the_exit_status(tmp_path):
    fail_or_hang = ("import os, sys, time; "
                    "sys.exit(5) if os.environ['JAX_PROCESS_ID'] == '1' else time.sleep(120)")
    status = launch_local.launch([sys.executable, "-c", fail_or_hang], process_count=2, timeout_s=60)
    assert status == 5


def test_local_launch_goes_through_launch_local():
    result = subprocess.run(["bash", SCRIPT, "--local", "2", "--devices-per-process", "1", "--dry-run", "--",
                             "python", "-m", "tests.rl.multihost_worker"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [".venv/bin/python", "-m", "rl.launch_local", "--num_processes=2",
                                     "--devices_per_process=1", "--", "python", "-m", "tests.rl.multihost_worker"]


def test_incomplete_arguments_are_refused():
    no_zone = subprocess.run(["bash", SCRIPT, "--tpu", "pod-a", "--", "python"], capture_output=True, text=True,
                             timeout=300)
    assert no_zone.returncode == 2 and "--zone" in no_zone.stderr
    no_command = subprocess.run(["bash", SCRIPT, "--local", "2"], capture_output=True, text=True, timeout=300)
    assert no_command.returncode == 2 and "give the command" in no_command.stderr
