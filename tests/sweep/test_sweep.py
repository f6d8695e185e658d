"""``infoplane sweep --workers 0``: runs, a failing point, the joined tables, resume."""

import shutil

import pandas as pd
import pyarrow.parquet as pq
import pytest

from infoplane.cli import main
from infoplane.sweep import load_plan, sweep
from infoplane.sweep._rundir import run_state

SWEEP = """
[base]
epochs = 30
seeds = 2
log_epochs = 5
optimizer = "sgd"
[zip]
activation = ["tanh", "relu", "relu"]
lr = [0.05, 0.05, 1e30]
"""
"""Three tiny runs; ReLU with SGD at lr 1e30 diverges in its first epoch."""

TABLES = ("information", "training", "gradients")
TIMING = ["seconds", "skipped"]


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    root = tmp_path_factory.mktemp("sweep")
    spec = root / "SWEEP.toml"
    spec.write_text(SWEEP)
    out = root / "out"
    result = sweep(spec, out, workers=0, quiet=True, plots=False)
    return spec, out, result


def read(out, name):
    return pd.read_parquet(out / f"{name}.parquet")


def test_failing_point_is_recorded_and_others_complete(swept):
    spec, out, result = swept
    assert [run for run, _ in result.failures] == [load_plan(spec).points[2].name]
    table = read(out, "sweep")
    assert list(table.columns) == ["run", "activation", "lr", "run_dir", "status", "reason",
                                   "seconds", "skipped"]
    failed = table[table["status"] == "failed"]
    assert list(zip(failed["activation"], failed["lr"], strict=True)) == [("relu", 1e30)]
    assert failed["reason"].iloc[0].startswith("training diverged")
    assert "\n" not in failed["reason"].iloc[0]
    assert (table.loc[table["status"] != "failed", "status"] == "complete").all()
    assert not table["skipped"].any()
    names = [p.name for p in load_plan(spec).points]
    assert list(table["run"]) == names
    assert all((out / d).is_dir() for d in table["run_dir"])


def test_joined_tables_hold_the_complete_runs_with_axis_columns(swept):
    spec, out, _ = swept
    table = read(out, "sweep")
    complete = table.loc[table["status"] == "complete", "run"].tolist()
    for name in TABLES:
        joined = pq.read_table(out / f"{name}.parquet").to_pandas()
        assert list(joined.columns[:3]) == ["run", "activation", "lr"]
        assert sorted(set(joined["run"])) == sorted(complete)
        for run in complete:
            rows = joined[joined["run"] == run].drop(columns=["run", "activation", "lr"])
            own = pd.read_parquet(out / "runs" / run / f"{name}.parquet")
            pd.testing.assert_frame_equal(rows.reset_index(drop=True), own)
            axes = table.set_index("run").loc[run, ["activation", "lr"]]
            assert (joined.loc[joined["run"] == run, "activation"] == axes["activation"]).all()


def interrupt_run(config, run_dir, monkeypatch):
    """Make ``run_dir`` hold ``config``'s run stopped by Ctrl-C after its first epochs."""
    from infoplane.nets.ensemble import CpuEnsemble
    from infoplane.run import run

    calls = []
    train = CpuEnsemble.train

    def stop_second_time(self, n):
        calls.append(n)
        if len(calls) > 1:
            raise KeyboardInterrupt
        return train(self, n)

    shutil.rmtree(run_dir)
    with monkeypatch.context() as m:
        m.setattr(CpuEnsemble, "train", stop_second_time)
        assert run(config, run_dir, quiet=True, plots=False).interrupted


def test_rerun_skips_complete_runs_and_resumes_the_others(swept, capsys, monkeypatch):
    spec, out, _ = swept
    before = {name: read(out, name) for name in (*TABLES, "sweep")}
    plan = load_plan(spec)
    tanh = next(p for p in plan.points if p.axes == {"activation": "tanh", "lr": 0.05})
    interrupt_run(tanh.config, out / "runs" / tanh.name, monkeypatch)
    assert run_state(out / "runs" / tanh.name, tanh.config) == "resumable"

    assert main(["sweep", str(spec), "--out", str(out), "--workers", "0", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"FAILED {plan.points[2].name}: training diverged" in err
    assert (out / "sweep.png").stat().st_size > 0

    after = {name: read(out, name) for name in (*TABLES, "sweep")}
    for name in TABLES:
        pd.testing.assert_frame_equal(after[name], before[name])
    sweep = after["sweep"].set_index("run")
    assert not sweep.loc[tanh.name, "skipped"]
    assert int(sweep["skipped"].sum()) == 1  # the other complete run was not run again
    pd.testing.assert_frame_equal(after["sweep"].drop(columns=TIMING),
                                  before["sweep"].drop(columns=TIMING))


def test_ctrl_c_stops_the_sweep_with_130_and_a_rerun_finishes_it(tmp_path, monkeypatch):
    from infoplane.nets.ensemble import CpuEnsemble

    spec = tmp_path / "SWEEP.toml"
    spec.write_text('[base]\nepochs = 30\nseeds = 2\nlog_epochs = 5\n'
                    '[grid]\nactivation = ["tanh", "relu"]\n')
    out = tmp_path / "out"
    train = CpuEnsemble.train
    calls = []

    def ctrl_c_second_time(self, n):
        calls.append(n)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return train(self, n)

    with monkeypatch.context() as m:
        m.setattr(CpuEnsemble, "train", ctrl_c_second_time)
        assert main(["sweep", str(spec), "--out", str(out), "--workers", "0", "--quiet"]) == 130
    assert list(read(out, "sweep")["status"]) == ["interrupted", "not run"]
    assert not (out / "information.parquet").exists()  # no complete run yet

    assert main(["sweep", str(spec), "--out", str(out), "--workers", "0", "--quiet"]) == 0
    assert list(read(out, "sweep")["status"]) == ["complete", "complete"]
    assert read(out, "information")["run"].nunique() == 2
