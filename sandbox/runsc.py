"""Finding `runsc` and building the OCI bundle of one gVisor sandbox.

The sandbox's root file system is an empty read-only directory with only the host's
`/usr` (and the merged-`/usr` links or binds for /bin, /lib, /lib64, /sbin) bound in
read-only, this package bound read-only at /opt/sandbox_runtime/sandbox (the fork
server's code), gVisor's own /proc and /dev, and a tmpfs at /tmp (noexec, nosuid) as
the only writable place, and one memory cgroup for the whole sandbox (`memory_mb`: the
sentry, every process and the tmpfs together). `runsc` runs with `--network=none` (only a private
loopback), on the platform `choose_platform` picks: "auto" (the default) uses KVM when
a trial sandbox boots on it within a few seconds, and otherwise the ptrace platform
(works without KVM or nested virtualisation), saying so in one log line. The host's
/etc, /home, /root, /work, environment and processes are not visible.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

log = logging.getLogger(__name__)
PLATFORMS = ("auto", "kvm", "ptrace")
KVM_PROBE_TIMEOUT_S = 10.0
_chosen: dict = {}  # (runsc, requested) -> platform, once per process

INSTALL_HINT = (
    "gVisor's `runsc` was not found. Install it (Debian/Ubuntu, as root): "
    "`apt-get install -y runsc`, or see https://gvisor.dev/docs/user_guide/install/ ; "
    "or pass backend='rlimits' to choose the weaker, unisolated backend explicitly.")

RUNTIME_MOUNT = "/opt/sandbox_runtime"
CANDIDATE_UID = 65534
SERVER_CAPABILITIES = ["CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_CHOWN",
                       "CAP_DAC_OVERRIDE", "CAP_FOWNER"]


class RunscMissing(RuntimeError):
    """`runsc` is not installed or not executable."""


def find_runsc(path: str | None = None) -> str:
    """The runsc binary to use: `path` if given, else the one on PATH; clear error if none."""
    found = path if path and os.access(path, os.X_OK) else shutil.which(path or "runsc")
    if not found:
        raise RunscMissing(INSTALL_HINT if not path else f"runsc not executable at {path!r}. "
                           + INSTALL_HINT)
    return found


def runsc_command(runsc: str, state_dir: str, platform: str = "ptrace") -> list[str]:
    if platform not in PLATFORMS[1:]:
        raise ValueError(f"runsc platform {platform!r}: resolve it with choose_platform")
    """The global part of every runsc invocation for one executor's state directory."""
    return [runsc, f"--root={state_dir}", f"--platform={platform}", "--network=none"]


def _kvm_precondition() -> str:
    """Why KVM cannot work here ('' if it might): no device, or no hardware support."""
    if not os.path.exists("/dev/kvm"):
        return "no /dev/kvm"
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
    except OSError as error:
        return f"/dev/kvm cannot be opened ({error.strerror})"
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            flags = {word for line in handle if line.startswith("flags")
                     for word in line.split(":", 1)[1].split()}
    except OSError:
        flags = set()
    if not flags & {"vmx", "svm"}:
        return "the CPU exposes no virtualisation extensions (vmx/svm)"
    return ""


def _kvm_boots(runsc: str) -> str:
    """'' if a trial sandbox runs /usr/bin/true on the KVM platform in time, else why not."""
    state_dir = tempfile.mkdtemp(prefix="sandbox-kvm-probe-")
    container = f"kvm-probe-{uuid.uuid4().hex[:8]}"
    command = runsc_command(runsc, state_dir, "kvm")
    try:
        bundle = Path(state_dir) / "bundle"
        bundle.mkdir()
        write_bundle(bundle, args=["/usr/bin/true"])
        try:
            done = subprocess.run(command + ["run", "--bundle", str(bundle), container],
                                  stdin=subprocess.DEVNULL, capture_output=True,
                                  timeout=KVM_PROBE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return f"a trial sandbox did not finish within {KVM_PROBE_TIMEOUT_S:g} s"
        if done.returncode != 0:
            return f"a trial sandbox failed: {done.stderr.decode(errors='replace')[-200:]}"
        return ""
    finally:
        subprocess.run(command + ["delete", "--force", container], capture_output=True,
                       timeout=30)
        shutil.rmtree(state_dir, ignore_errors=True)


def choose_platform(runsc: str, requested: str = "auto") -> str:
    """The runsc platform to use: `requested` unless it is "auto", which is "kvm" when a
    trial sandbox boots on it and otherwise "ptrace" (logged once per process)."""
    if requested not in PLATFORMS:
        raise ValueError(f"sandbox platform {requested!r} is unknown; choose one of {PLATFORMS}")
    if requested != "auto":
        return requested
    key = (runsc, requested)
    if key not in _chosen:
        why_not = _kvm_precondition() or _kvm_boots(runsc)
        _chosen[key] = "ptrace" if why_not else "kvm"
        if why_not:
            log.warning("sandbox platform: ptrace (KVM unusable: %s)", why_not)
        else:
            log.info("sandbox platform: kvm")
    return _chosen[key]


def server_arguments(python: str) -> list[str]:
    """How the fork server starts inside the sandbox: isolated mode, no bytecode writes."""
    bootstrap = (f"import sys; sys.path.insert(0, {RUNTIME_MOUNT!r}); "
                 "from sandbox.fork_server import serve; serve()")
    return [python, "-I", "-S", "-B", "-c", bootstrap]


def write_bundle(bundle_dir: Path, python: str = "/usr/bin/python3",
                 tmpfs_mb: int = 256, args: list[str] | None = None,
                 memory_mb: int | None = None) -> Path:
    """Write config.json and an empty rootfs for a sandbox that runs the fork server
    (or `args` instead, as the benchmark's one-sandbox-per-job baseline does)."""
    if not Path(python).is_absolute() or not str(Path(python)).startswith("/usr/"):
        raise ValueError(f"sandbox python {python!r} must be an absolute path under /usr "
                         "(only /usr is visible inside the sandbox); set sandbox.python")
    if not os.access(python, os.X_OK):
        raise ValueError(f"sandbox python {python!r} does not exist; install python3 "
                         "(`apt-get install -y python3`) or set sandbox.python")
    rootfs = bundle_dir / "rootfs"
    for name in ("usr", "tmp", "proc", "dev", "sys", "opt"):
        (rootfs / name).mkdir(parents=True, exist_ok=True)
    mounts = [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "nodev", "noexec", "mode=755", f"size={tmpfs_mb}m"]},
        {"destination": "/usr", "type": "bind", "source": "/usr", "options": ["rbind", "ro"]},
        {"destination": f"{RUNTIME_MOUNT}/sandbox", "type": "bind",
         "source": str(Path(__file__).resolve().parent), "options": ["rbind", "ro"]},
    ]
    for name in ("bin", "lib", "lib64", "sbin"):
        host = Path("/") / name
        if host.is_symlink():
            link = rootfs / name
            if not link.is_symlink():
                link.symlink_to(os.readlink(host))
        elif host.is_dir():
            (rootfs / name).mkdir(exist_ok=True)
            mounts.append({"destination": f"/{name}", "type": "bind", "source": str(host),
                           "options": ["rbind", "ro"]})
    config = {
        "ociVersion": "1.0.0",
        "process": {
            "terminal": False,
            "user": {"uid": 0, "gid": 0},
            "args": args or server_arguments(python),
            "env": ["PATH=/usr/bin:/bin", "LANG=C.UTF-8", "PYTHONDONTWRITEBYTECODE=1"],
            "cwd": "/tmp",
            "noNewPrivileges": True,
            "capabilities": {key: SERVER_CAPABILITIES
                             for key in ("bounding", "effective", "permitted")},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
        },
        "root": {"path": "rootfs", "readonly": True},
        "hostname": "sandbox",
        "mounts": mounts,
        "linux": {"namespaces": [{"type": name} for name in
                                 ("pid", "network", "ipc", "uts", "mount")]},
    }
    if memory_mb:  # the whole sandbox (sentry, every process, its tmpfs) in one cgroup
        config["linux"]["resources"] = {"memory": {"limit": int(memory_mb) << 20,
                                                   "swap": int(memory_mb) << 20}}
    (bundle_dir / "config.json").write_text(json.dumps(config, indent=1))
    return bundle_dir
