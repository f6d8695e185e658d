"""Interrupt, kill and resume a run: nothing trained is lost, the tables come out exact."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from infoplane import checkpoint, estimation, rundir
from infoplane.cli import main
from infoplane.nets.schedule import log_spaced_epochs
from infoplane.recorder import Recorder

FLAGS = ["--epochs", "300", "--seeds", "3", "--log-epochs", "20", "--quiet"]
TABLES = ("information", "training", "gradients")
SRC = Path(__file__).resolve().parents[1] / "src"

BLOCKING_DRIVER = """
import sys, time
from infoplane.nets import ensemble
block_at = int(sys.argv[1])
original = ensemble.CpuEnsemble.train
trained = {"n": 0}
def train(self, n_epochs):
    stats = original(self, n_epochs)
    trained["n"] += n_epochs
    if trained["n"] >= block_at:
        time.sleep(600)  # stands for a long training: the test signals or kills it here
    return stats
ensemble.CpuEnsemble.train = train
from infoplane.cli import main
sys.exit(main(sys.argv[2:]))
"""
"""``python -m infoplane.cli`` whose training stops (sleeps) once it has trained a
given number of epochs in this process, so that a signal lands in mid-training."""


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """An uninterrupted run of the config every test here interrupts."""
    out = tmp_path_factory.mktemp("reference") / "run"
    assert main(["run", *FLAGS, "--out", str(out)]) == 0
    return out


def assert_same_tables(run: Path, reference: Path) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(
            pd.read_parquet(run / f"{name}.parquet"),
            pd.read_parquet(reference / f"{name}.parquet"),
        )


def start_blocking(out: Path, block_at: int, *argv: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.Popen(
        [sys.executable, "-c", BLOCKING_DRIVER, str(block_at), *argv],
        env=env, stderr=subprocess.PIPE, text=True,
    )


def last_checkpoint_before_block(start: int, block_at: int) -> int:
    """The last checkpoint a run from ``start`` writes before the driver blocks."""
    logged = [int(e) for e in log_spaced_epochs(300, 20) if e > start]
    last = start
    for epoch in logged:
        if epoch - start >= block_at:  # chunks end at logged epochs (all < MAX_CHUNK here)
            return last
        last = epoch
    raise AssertionError("the driver never blocks")


def wait_for_checkpoint(out: Path, epoch: int, process: subprocess.Popen) -> None:
    """Poll until the checkpoint of ``epoch`` is written (the process must live on)."""
    path = checkpoint.folder(out, (0, 1, 2)) / f"epoch-{epoch:06d}.npz"
    while not path.is_file():
        assert process.poll() is None, process.stderr.read()
        time.sleep(0.05)


def status(out: Path) -> dict:
    return json.loads((out / rundir.STATUS).read_text())


def test_sigterm_then_kill_then_resume_gives_the_uninterrupted_tables(
    reference, tmp_path, capsys
):
    out = tmp_path / "run"
    # 1. SIGTERM in mid-training: like Ctrl-C, the checkpoint kept, exit 143.
    first = start_blocking(out, 60, "run", *FLAGS, "--out", str(out))
    stop = last_checkpoint_before_block(0, 60)
    wait_for_checkpoint(out, stop, first)
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=300) == 143
    assert "infoplane run --resume" in first.stderr.read()
    assert status(out)["state"] == "interrupted"
    assert "epochs = 300" in (out / "config.toml").read_text()

    # 2. Resume, and kill -9 it in mid-training; meanwhile the directory is in use.
    second = start_blocking(out, 100, "run", "--resume", str(out), "--quiet")
    stop = last_checkpoint_before_block(stop, 100)
    wait_for_checkpoint(out, stop, second)
    assert rundir.read_status(out).state == "running"
    assert main(["run", "--resume", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"is in use by process {second.pid} on {socket.gethostname()}" in err
    assert err.count("\n") == 1
    second.kill()
    second.wait(timeout=60)
    killed = rundir.read_status(out)
    assert killed.state == "killed" and killed.checkpoint_epoch == stop
    assert main(["plot", str(out)]) == 2
    assert "not a complete run: killed during training" in capsys.readouterr().err

    # 3. Resume to the end: every table equals the uninterrupted run's, value for value.
    assert main(["run", "--resume", str(out), "--quiet"]) == 0
    assert status(out)["state"] == "complete"
    assert_same_tables(out, reference)
    assert main(["run", "--resume", str(out)]) == 2
    assert "already complete" in capsys.readouterr().err


def test_ctrl_c_in_estimation_keeps_training_and_rows_then_resumes(
    reference, tmp_path, monkeypatch, capsys
):
    out = tmp_path / "run"
    original = Recorder.estimate
    calls: list[list[int]] = []

    def interrupt_at(k):
        def estimate(self, at, *args, **kwargs):
            calls.append(at)
            if len(calls) == k:
                raise KeyboardInterrupt
            return original(self, at, *args, **kwargs)
        return estimate

    monkeypatch.setattr(Recorder, "estimate", interrupt_at(3))
    assert main(["run", *FLAGS, "--out", str(out)]) == 130
    assert "infoplane run --resume" in capsys.readouterr().err
    assert status(out)["state"] == "interrupted" and status(out)["phase"] == "estimation"
    assert status(out)["epochs_trained"] == 300
    done = sorted(p.name for p in (out / estimation.INFO_DIR).glob("*.parquet"))
    assert len(done) == 2

    # A second Ctrl-C, in the resumed estimation, deletes nothing.
    calls.clear()
    monkeypatch.setattr(Recorder, "estimate", interrupt_at(2))
    assert main(["run", "--resume", str(out), "--quiet"]) == 130
    assert calls[0] == estimation.groups(rundir_epochs(reference))[2]  # done ones not redone
    kept = sorted(p.name for p in (out / estimation.INFO_DIR).glob("*.parquet"))
    assert set(done) < set(kept)

    calls.clear()
    monkeypatch.setattr(Recorder, "estimate", interrupt_at(0))
    assert main(["run", "--resume", str(out), "--quiet"]) == 0
    n_groups = len(estimation.groups(rundir_epochs(reference)))
    assert len(calls) == n_groups - len(kept)  # only what was missing
    assert_same_tables(out, reference)


def test_ctrl_c_inside_a_compiled_kernel_is_an_interrupt_not_a_failure(
    reference, tmp_path, monkeypatch, capsys
):
    # was: SIGTERM during kde estimation: numba's "SystemError: CPUDispatcher(...) returned
    # a result with an exception set" traceback, exit 1, status failed
    from infoplane.cli import Terminated
    from infoplane.nets import ensemble

    def wrapped(exc: BaseException) -> SystemError:
        error = SystemError("CPUDispatcher(...) returned a result with an exception set")
        error.__cause__ = exc
        return error

    def estimate(self, at, *args, **kwargs):
        raise wrapped(Terminated())

    out = tmp_path / "run"
    monkeypatch.setattr(Recorder, "estimate", estimate)
    assert main(["run", *FLAGS, "--out", str(out)]) == 130
    assert "infoplane run --resume" in capsys.readouterr().err
    assert status(out)["state"] == "interrupted" and status(out)["phase"] == "estimation"
    monkeypatch.undo()

    original, calls = ensemble.CpuEnsemble.train, {"n": 0}

    def train(self, n_epochs):
        calls["n"] += 1
        if calls["n"] == 12:
            raise wrapped(KeyboardInterrupt())
        return original(self, n_epochs)

    out = tmp_path / "run2"
    monkeypatch.setattr(ensemble.CpuEnsemble, "train", train)
    assert main(["run", *FLAGS, "--out", str(out)]) == 130
    assert rundir.read_status(out).state == "interrupted"
    monkeypatch.undo()
    assert main(["run", "--resume", str(out), "--quiet"]) == 0
    assert_same_tables(out, reference)


def rundir_epochs(run: Path) -> list[int]:
    return sorted(pd.read_parquet(run / "information.parquet")["epoch"].unique().tolist())


def test_ctrl_c_in_training_says_interrupted_and_resumes(
    reference, tmp_path, monkeypatch
):
    from infoplane.nets import ensemble

    original = ensemble.CpuEnsemble.train
    calls = {"n": 0}

    def train_then_interrupt(self, n_epochs):
        calls["n"] += 1
        if calls["n"] == 12:
            raise KeyboardInterrupt
        return original(self, n_epochs)

    monkeypatch.setattr(ensemble.CpuEnsemble, "train", train_then_interrupt)
    out = tmp_path / "run"
    assert main(["run", *FLAGS, "--out", str(out)]) == 130
    stopped = rundir.read_status(out)
    assert stopped.state == "interrupted" and stopped.phase == "training"
    assert 0 < stopped.epochs_trained < 300
    assert stopped.last_measured_epoch == stopped.checkpoint_epoch == stopped.epochs_trained
    assert main(["plot", str(out)]) == 0  # partial tables, flagged
    monkeypatch.setattr(ensemble.CpuEnsemble, "train", original)
    assert main(["run", "--resume", str(out), "--quiet"]) == 0
    assert_same_tables(out, reference)


def test_full_disk_is_one_line_and_the_checkpoint_resumes(reference, tmp_path, capsys):
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(disk)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        out = disk / "run"
        assert main(["run", *FLAGS, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
        assert "no space left on device" in err and "checkpoint up to epoch" in err
        assert checkpoint.load(out, (0, 1, 2))  # trained work kept
        subprocess.run(["mount", "-o", "remount,size=8m", str(disk)], check=True)
        assert main(["run", "--resume", str(out), "--quiet"]) == 0
        assert_same_tables(out, reference)
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_impossible_memory_need_is_refused_before_training(tmp_path, capsys):
    out = tmp_path / "wide"
    assert main(["run", "--widths", "100000", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "needs about" in err and "memory" in err and err.count("\n") == 1
    assert not out.exists()


def test_changed_data_set_refuses_to_resume(tmp_path, monkeypatch, capsys):
    from infoplane.nets import ensemble

    def interrupt(self, n_epochs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ensemble.CpuEnsemble, "train", interrupt)
    out = tmp_path / "run"
    assert main(["run", "--epochs", "10", "--seeds", "2", "--quiet", "--out", str(out)]) == 130
    config = out / "config.toml"
    assert 'dataset_version = "sha256:' in config.read_text()
    text = config.read_text().replace('dataset_version = "sha256:', 'dataset_version = "sha256:0')
    config.write_text(text)
    assert main(["run", "--resume", str(out)]) == 2
    assert "has changed since this run was configured" in capsys.readouterr().err


def test_out_of_memory_in_estimation_is_one_line_and_resumable(tmp_path, monkeypatch, capsys):
    def no_memory(self, *args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(Recorder, "estimate", no_memory)
    out = tmp_path / "run"
    assert main(["run", "--epochs", "10", "--seeds", "2", "--quiet", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "out of memory during estimation" in err and "--resume" in err
    assert err.count("\n") == 1 and "Traceback" not in err
    failed = rundir.read_status(out)
    assert failed.state == "failed" and failed.checkpoint_epoch == 10
    assert failed.reason.startswith("out of memory")
    monkeypatch.undo()
    assert main(["run", "--resume", str(out), "--quiet"]) == 0
    assert rundir.read_status(out).state == "complete"


def test_reuse_or_run_resumes_a_stopped_run_and_reads_back_a_complete_one(
    tmp_path, monkeypatch
):
    import infoplane.run
    from infoplane.config import RunConfig
    from infoplane.nets import ensemble

    config = RunConfig(epochs=12, seeds=2, log_epochs=4)
    out = tmp_path / "run"
    original = ensemble.CpuEnsemble.train
    calls = {"n": 0}

    def train_then_interrupt(self, n_epochs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return original(self, n_epochs)

    monkeypatch.setattr(ensemble.CpuEnsemble, "train", train_then_interrupt)
    assert infoplane.run.run(config, out, quiet=True, plots=False).interrupted
    kept = rundir.read_status(out).checkpoint_epoch
    trained = []

    def count(self, n_epochs):
        trained.append(n_epochs)
        return original(self, n_epochs)

    monkeypatch.setattr(ensemble.CpuEnsemble, "train", count)
    resumed = infoplane.run.reuse_or_run(config, out, quiet=True, plots=False)
    assert not resumed.interrupted and rundir.read_status(out).state == "complete"
    assert 0 < kept and sum(trained) == 12 - kept  # continued from the checkpoint

    def no_training(*args, **kwargs):
        raise AssertionError("a complete run was trained again")

    monkeypatch.setattr(infoplane.run, "run", no_training)
    again = infoplane.run.reuse_or_run(config, out)
    pd.testing.assert_frame_equal(again.information, resumed.information)


def test_reuse_or_run_never_replaces_a_run_that_another_process_holds(tmp_path, monkeypatch):
    # was: the resume attempt's "in use" error was swallowed and the run started afresh
    # with overwrite=True, which deletes the holder's run if it let go meanwhile
    from infoplane import run as run_module
    from infoplane.config import RunConfig

    config = RunConfig(epochs=30, seeds=2, log_epochs=5)
    out = tmp_path / "run"
    run_module.run(config, out, quiet=True, plots=False)
    status = json.loads((out / rundir.STATUS).read_text())
    (out / rundir.STATUS).write_text(json.dumps({**status, "state": "interrupted"}))
    calls = []

    def held(*args, **kwargs):
        calls.append(kwargs)
        if kwargs.get("resume"):
            raise rundir.DirectoryInUse(out, "process 1 on elsewhere")
        return "started afresh"

    monkeypatch.setattr(run_module, "run", held)
    with pytest.raises(rundir.DirectoryInUse, match="in use by process 1 on elsewhere"):
        run_module.reuse_or_run(config, out, quiet=True, plots=False)
    assert [c.get("resume") for c in calls] == [True]


def fake_cold_cache(monkeypatch, folder: Path, seconds: dict[str, float]) -> None:
    """A cold numba cache, faked: the run starts its compiling children (_prewarm), and
    the child of each phase sleeps ``seconds[phase]``, then writes the time it finished
    into ``folder / phase``."""
    from infoplane import _prewarm

    monkeypatch.setattr(_prewarm, "_training_compiled", lambda config: False)
    monkeypatch.setattr(_prewarm, "_command", lambda phase: [
        sys.executable, "-c",
        f"import sys, time; sys.stdin.read(); time.sleep({seconds[phase]}); "
        f"open({str(folder / phase)!r}, 'w').write(repr(time.time()))",
    ])


def test_a_cold_cache_run_trains_after_its_training_child_and_estimates_after_the_other(
    tmp_path, monkeypatch,
):
    """On a cold cache (faked here), the run starts the compiling children (_prewarm),
    trains only once the training child has finished and estimates once the estimation
    child has: each child here sleeps, then writes the time it finished."""
    from infoplane.nets import _kernel

    fake_cold_cache(monkeypatch, tmp_path, {"training": 1.0, "estimation": 2.0})
    first = {}
    for name, module in (("train", _kernel), ("estimate", estimation)):
        real = getattr(module, {"train": "train_epochs", "estimate": "snapshot_batch"}[name])

        def spy(*args, _real=real, _name=name, **kwargs):
            first.setdefault(_name, time.time())
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, real.__name__, spy)
    assert main(["run", *FLAGS, "--out", str(tmp_path / "run")]) == 0
    assert float((tmp_path / "training").read_text()) <= first["train"]
    assert float((tmp_path / "estimation").read_text()) <= first["estimate"]
    assert status(tmp_path / "run")["state"] == "complete"


def test_a_cold_cache_run_imports_its_figure_modules_while_its_training_child_compiles(
    tmp_path, monkeypatch,
):
    """The figure modules (matplotlib, 0.7-0.8 s) are imported while a first run waits
    for its training child (faked: it sleeps 1 s), so its figures do not wait for
    them after training (issue 15); a warm run, which does not wait, imports them when
    it draws, and a run without figures never."""
    from infoplane import _prewarm
    from infoplane import run as run_module
    from infoplane.config import RunConfig

    imported = []
    real = run_module._import_figures
    monkeypatch.setattr(run_module, "_import_figures",
                        lambda: (imported.append(time.time()), real()))
    fake_cold_cache(monkeypatch, tmp_path, {"training": 1.0, "estimation": 0.0})
    assert main(["run", *FLAGS, "--out", str(tmp_path / "cold")]) == 0
    assert len(imported) == 1
    assert imported[0] < float((tmp_path / "training").read_text())
    assert (tmp_path / "cold" / "information_plane.png").exists()

    run_module.run(RunConfig(epochs=20, seeds=2, log_epochs=4), tmp_path / "no-figures", quiet=True,
                   plots=False)
    monkeypatch.setattr(_prewarm, "_training_compiled", lambda config: True)  # warm
    assert main(["run", *FLAGS, "--out", str(tmp_path / "warm")]) == 0
    assert len(imported) == 1


def test_a_figure_import_that_fails_while_waiting_does_not_stop_the_run(monkeypatch):
    """A broken matplotlib fails the run where it draws, after training and writing the
    tables, as before the import moved into the compile wait; not before training."""
    from infoplane import run as run_module

    monkeypatch.setitem(sys.modules, "infoplane.plots", None)  # import raises ImportError
    run_module._import_figures()


def test_ctrl_c_in_training_keeps_the_estimation_child_for_the_estimation(
    tmp_path, monkeypatch,
):
    """Interrupted on a cold cache (faked), the run estimates what it trained with the
    kernels its estimation child compiles: it waits for that child instead of killing
    it and compiling them again (13-14 s before exiting on Ctrl-C)."""
    from infoplane.nets import ensemble

    fake_cold_cache(monkeypatch, tmp_path, {"training": 0.5, "estimation": 4.0})

    def interrupted(self, n_epochs):
        if n_epochs:
            raise KeyboardInterrupt
        return None

    monkeypatch.setattr(ensemble.CpuEnsemble, "train", interrupted)
    assert main(["run", *FLAGS, "--out", str(tmp_path / "run")]) == 130
    assert (tmp_path / "estimation").exists()  # the child finished
    assert status(tmp_path / "run")["state"] == "interrupted"
