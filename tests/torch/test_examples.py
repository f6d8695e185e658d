"""The examples run end to end on a few epochs and write their run directories."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from infoplane.store import read_table

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("script", "run"),
    [("own_model_cnn.py", "own_model_cnn"), ("lightning_mlp.py", "lightning_mlp")],
)
def test_example_writes_its_run_directory(tmp_path, script, run):
    if script.startswith("lightning"):
        pytest.importorskip("lightning")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "OMP_NUM_THREADS": "1",
           "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script), "--epochs", "3"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = tmp_path / "runs" / run
    information = read_table(out, "information")
    assert set(information["epoch"]) == {0, 1, 2, 3}
    assert read_table(out, "training")["train_loss"].notna().all()
    assert (out / "information_plane.png").is_file()
