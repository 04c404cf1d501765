"""runsc platform choice: "auto" is KVM only where a trial sandbox boots on it."""
from __future__ import annotations

import logging

import pytest

from sandbox import runsc as runsc_lib
from sandbox.executor import SandboxExecutor


@pytest.fixture(autouse=True)
def fresh_choice(monkeypatch):
    monkeypatch.setattr(runsc_lib, "_chosen", {})


def test_an_explicit_platform_is_kept_and_an_unknown_one_is_refused():
    assert runsc_lib.choose_platform("/usr/bin/runsc", "ptrace") == "ptrace"
    assert runsc_lib.choose_platform("/usr/bin/runsc", "kvm") == "kvm"
    with pytest.raises(ValueError, match="unknown; choose one of"):
        runsc_lib.choose_platform("/usr/bin/runsc", "systrap")
    with pytest.raises(ValueError, match="choose_platform"):
        runsc_lib.runsc_command("/usr/bin/runsc", "/tmp/x", "auto")


def test_auto_falls_back_to_ptrace_with_one_log_line(monkeypatch, caplog):
    monkeypatch.setattr(runsc_lib, "_kvm_precondition", lambda: "")
    boots = []
    monkeypatch.setattr(runsc_lib, "_kvm_boots",
                        lambda runsc: boots.append(runsc) or "a trial sandbox hung")
    with caplog.at_level(logging.INFO, logger="sandbox.runsc"):
        assert runsc_lib.choose_platform("/r", "auto") == "ptrace"
        assert runsc_lib.choose_platform("/r", "auto") == "ptrace"  # probed once
    assert boots == ["/r"]
    lines = [record.getMessage() for record in caplog.records]
    assert lines == ["sandbox platform: ptrace (KVM unusable: a trial sandbox hung)"]


def test_auto_skips_the_trial_when_kvm_cannot_work(monkeypatch):
    monkeypatch.setattr(runsc_lib, "_kvm_precondition", lambda: "no /dev/kvm")
    monkeypatch.setattr(runsc_lib, "_kvm_boots", lambda runsc: pytest.fail("probed"))
    assert runsc_lib.choose_platform("/r", "auto") == "ptrace"


def test_auto_takes_kvm_when_the_trial_boots(monkeypatch):
    monkeypatch.setattr(runsc_lib, "_kvm_precondition", lambda: "")
    monkeypatch.setattr(runsc_lib, "_kvm_boots", lambda runsc: "")
    assert runsc_lib.choose_platform("/r", "auto") == "kvm"


def test_the_executor_resolves_auto_on_this_machine():
    executor = SandboxExecutor(workers=1)
    assert executor.platform in ("kvm", "ptrace")
    assert executor.platform == runsc_lib.choose_platform(runsc_lib.find_runsc(), "auto")
