"""Many named runs (what ``reproduce --workers`` uses): made once, read back, failures."""

import pandas as pd
import pytest

from infoplane.config import RunConfig
from infoplane.errors import InfoplaneError
from infoplane.sweep._runs import run_configs

TINY = RunConfig(epochs=30, seeds=2, log_epochs=5)


def test_runs_are_made_then_read_back_not_run_again(tmp_path):
    configs = {"tanh": TINY, "relu": TINY.replace(activation="relu")}
    results, seconds = run_configs(configs, tmp_path, workers=0, quiet=True, plots=False)
    assert set(results) == set(configs) and all(s > 0 for s in seconds.values())
    assert results["relu"].out == tmp_path / "runs" / "relu"
    again, seconds = run_configs(configs, tmp_path, workers=0, quiet=True, plots=False)
    assert seconds == {"tanh": 0.0, "relu": 0.0}  # complete: skipped
    for name in configs:
        for table in ("information", "training", "gradients"):
            pd.testing.assert_frame_equal(getattr(again[name], table),
                                          getattr(results[name], table))


def test_a_failed_run_is_one_line_error(tmp_path):
    bad = TINY.replace(activation="relu", optimizer="sgd", lr=1e30)
    with pytest.raises(InfoplaneError, match=r"run bad failed: training diverged") as info:
        run_configs({"bad": bad}, tmp_path, workers=0, quiet=True, plots=False)
    assert "\n" not in str(info.value)


def test_reproduce_takes_workers_or_a_scheduler_not_both(tmp_path):
    from infoplane.cli import main

    args = ["reproduce", "--out", str(tmp_path / "r"), "--workers", "2",
            "--scheduler", "tcp://127.0.0.1:8786"]
    assert main(args) == 2
    assert not (tmp_path / "r").exists()
