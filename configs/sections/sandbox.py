"""The `sandbox` config section: how untrusted code is run and compared.

Read by `sandbox.executor.SandboxExecutor.from_config(config.sandbox)`.

  backend             "gvisor" (default, runsc) or "rlimits" (no isolation; warns loudly)
  workers             long-lived sandboxes in parallel; 0 means one per CPU core
  recycle_after_jobs  a sandbox is replaced after this many jobs (and on any anomaly)
  platform            runsc platform: "auto" (KVM where a trial sandbox boots on it, else
                      ptrace, with a log line), "kvm" or "ptrace" (works without KVM)
  python              interpreter inside the sandbox (must live under /usr)
  tmpfs_mb            size of the sandbox's writable /tmp
  sandbox_memory_mb   memory of one whole sandbox (gVisor's sentry, every process, the
                      tmpfs), enforced by the sandbox's memory cgroup
  rel_tol             the comparator's relative float tolerance (paper/design: 1e-6)
  limits.*            per-job defaults (`sandbox.types.Limits`): wall time per test and per
                      job, memory, processes, file size, total output bytes
"""
import ml_collections

from configs.validation import at_least, one_of, require


def get_config() -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.backend = "gvisor"
    config.workers = 0
    config.recycle_after_jobs = 500
    config.platform = "auto"
    config.python = "/usr/bin/python3"
    config.tmpfs_mb = 256
    config.sandbox_memory_mb = 2048
    config.rel_tol = 1e-6
    config.limits = ml_collections.ConfigDict(dict(
        wall_time_per_test_s=4.0,
        wall_time_per_job_s=30.0,
        memory_mb=512,
        processes=16,
        file_size_mb=8,
        output_bytes=1_000_000,
    ))
    return config


def validate(section: ml_collections.ConfigDict, name: str = "sandbox") -> None:
    one_of(f"{name}.backend", section.backend, ("gvisor", "rlimits"))
    at_least(f"{name}.workers", section.workers, 0)
    at_least(f"{name}.recycle_after_jobs", section.recycle_after_jobs, 1)
    one_of(f"{name}.platform", section.platform, ("auto", "ptrace", "systrap", "kvm"))
    require(str(section.python).startswith("/usr/"), f"{name}.python", section.python,
            "the sandbox sees only /usr: give an interpreter under /usr")
    at_least(f"{name}.tmpfs_mb", section.tmpfs_mb, 1)
    require(section.rel_tol >= 0, f"{name}.rel_tol", section.rel_tol, "out of range, it must be >= 0")
    for field in ("wall_time_per_test_s", "wall_time_per_job_s"):
        require(section.limits[field] > 0, f"{name}.limits.{field}", section.limits[field], "out of range, it must be > 0")
    for field in ("memory_mb", "processes", "file_size_mb", "output_bytes"):
        at_least(f"{name}.limits.{field}", section.limits[field], 1)
