"""The sweep's run-directory adapter: a directory held by another live process (the task
of a sweep whose client was killed, still running on a worker) is waited for."""

import os
import socket
import threading

from infoplane import rundir
from infoplane.config import RunConfig
from infoplane.store import read_table
from infoplane.sweep import _rundir, _tasks

TINY = RunConfig(epochs=30, seeds=2, log_epochs=5)


def _hold(path):
    """Take ``path``'s lock as another writer would (flock: a separate open file)."""
    path.mkdir(parents=True, exist_ok=True)
    return rundir._lock(path)


def test_a_task_waits_for_a_run_directory_held_by_another_writer(tmp_path, monkeypatch):
    # was: the task failed at once with "... is in use by process N", and the sweep
    # recorded the run as failed (exit 2)
    monkeypatch.setattr(_rundir, "LOCK_POLL", 0.05)
    out = tmp_path / "run"
    fd = _hold(out)
    released = threading.Event()

    def release():
        released.set()
        rundir._unlock(out, fd)

    timer = threading.Timer(1.0, release)
    timer.start()
    try:
        outcome = _tasks.train("tiny", TINY, str(out), plots=False)
    finally:
        timer.cancel()
        timer.join()
    assert released.is_set()  # it ran only after the holder let go
    assert outcome.status == "complete", outcome.reason
    assert len(read_table(out, "information")) > 0


def test_a_task_gives_up_after_the_wait_naming_the_holder(tmp_path, monkeypatch):
    monkeypatch.setattr(_rundir, "LOCK_WAIT", 0.3)
    monkeypatch.setattr(_rundir, "LOCK_POLL", 0.05)
    out = tmp_path / "run"
    fd = _hold(out)
    try:
        outcome = _tasks.train("tiny", TINY, str(out), plots=False)
    finally:
        rundir._unlock(out, fd)
    assert outcome.status == "failed"
    assert f"is in use by process {os.getpid()} on {socket.gethostname()}" in outcome.reason
    assert "waited 0 s" in outcome.reason and "\n" not in outcome.reason
    assert not (out / "config.toml").exists()  # nothing written while it was held
