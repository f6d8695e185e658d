"""A run directory holds one run: refusal, --overwrite, the lock, the status, bad paths."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from infoplane import rundir, store
from infoplane.cli import main
from infoplane.errors import InfoplaneError

SMALL = ["--epochs", "20", "--seeds", "2", "--log-epochs", "5", "--quiet"]
SRC = Path(__file__).resolve().parents[1] / "src"


def test_rerun_into_a_finished_directory_is_refused_and_overwrite_replaces_only_its_files(
    tmp_path, capsys
):
    out = tmp_path / "run"
    assert main(["run", *SMALL, "--estimator", "binning", "--estimator", "adaptive",
                 "--out", str(out)]) == 0
    assert list(out.glob("information_plane_*.png"))  # one figure per extra estimator
    (out / "notes.txt").write_text("mine")
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}

    assert main(["run", *SMALL, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "holds another run (complete)" in err and "--overwrite" in err
    assert err.count("\n") == 1
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before  # untouched

    assert main(["run", *SMALL, "--activation", "relu", "--overwrite", "--out", str(out)]) == 0
    assert not list(out.glob("information_plane_*.png"))  # the old run's figure is gone
    assert (out / "notes.txt").read_text() == "mine"  # not the run's: kept
    assert 'activation = "relu"' in (out / "config.toml").read_text()
    info = store.read_table(out, "information")
    assert set(info["estimator"]) == {"binning"}
    assert json.loads((out / "status.json").read_text())["state"] == "complete"


def test_a_directory_from_before_status_files_is_refused_too(tmp_path, capsys):
    out = tmp_path / "old"
    out.mkdir()
    (out / "config.toml").write_text("epochs = 5\n")
    (out / "information.parquet").write_bytes(b"old")
    assert main(["run", *SMALL, "--out", str(out)]) == 2
    assert "holds another run" in capsys.readouterr().err
    assert main(["run", *SMALL, "--out", str(out), "--overwrite"]) == 0
    assert store.read_table(out, "information")["epoch"].max() == 20


def test_lock_names_its_holder_and_a_dead_holder_reads_as_killed(tmp_path, capsys):
    out = tmp_path / "run"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from infoplane.rundir import RunDir; "
         f"r = RunDir.open({str(out)!r}, config_toml='epochs = 20\\n', epochs=20); "
         "print('locked', flush=True); sys.stdin.read()"],
        env={**os.environ, "PYTHONPATH": str(SRC)}, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert rundir.read_status(out).state == "running"
        assert main(["run", *SMALL, "--out", str(out), "--overwrite"]) == 2
        err = capsys.readouterr().err
        assert f"is in use by process {holder.pid} on {socket.gethostname()}" in err
        with pytest.raises(InfoplaneError, match="not a complete run: running"):
            store.check_complete(out)
    finally:
        holder.kill()
        holder.wait(timeout=60)
    assert rundir.read_status(out).state == "killed"
    with pytest.raises(InfoplaneError, match="killed during training"):
        store.read_table(out, "information")
    # the lock file left behind is taken over
    assert main(["run", *SMALL, "--out", str(out), "--overwrite"]) == 0
    assert not (out / rundir.LOCK).exists()


def test_stale_lock_file_with_a_dead_pid_is_taken_over(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / rundir.LOCK).write_text(json.dumps({"host": socket.gethostname(), "pid": 2**22 + 7}))
    with rundir.RunDir.open(out, config_toml="epochs = 1\n", epochs=1) as run:
        assert run.status.pid == os.getpid()
        assert json.loads((out / rundir.LOCK).read_text())["pid"] == os.getpid()
    assert not (out / rundir.LOCK).exists()


def test_out_under_a_file_is_one_line(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(["run", *SMALL, "--out", str(tmp_path / "file" / "run")]) == 2
    err = capsys.readouterr().err
    # was: "a part of the path is a file, not a directory (.../file/run)": which part unsaid
    assert f"{tmp_path / 'file'} is a file, not a directory" in err and err.count("\n") == 1


def test_read_only_file_system_is_one_line_before_training(tmp_path, capsys):
    disk = tmp_path / "ro"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(disk)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a read-only tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        assert main(["run", *SMALL, "--out", str(disk / "run")]) == 2
        err = capsys.readouterr().err
        assert "read-only file system" in err and err.count("\n") == 1
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_resume_needs_a_run_and_no_other_flags(tmp_path, capsys):
    assert main(["run", "--resume", str(tmp_path)]) == 2
    assert "holds no run to resume" in capsys.readouterr().err
    assert main(["run", "--resume", str(tmp_path), "--epochs", "5"]) == 2
    assert "drop --epochs" in capsys.readouterr().err
