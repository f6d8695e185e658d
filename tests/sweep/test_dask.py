"""Sweeps on a LocalCluster of 2 workers: shards, estimator tasks, a killed worker, a
killed client (whose workers exit with it). The sweep uses kde, so each run is a training
task, kde's tasks and an assembly task on Dask, and its tables must equal those of the
sweep in this process.

One cluster serves the module; every wait is on files or futures, bounded in time.
"""

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from infoplane.sweep import SweepPlan, load_plan, sweep
from infoplane.sweep._rundir import run_state

pytest.importorskip("distributed")

SWEEP = """
[base]
epochs = 40
seeds = 3
log_epochs = 5
estimators = ["binning", "kde"]
[grid]
activation = ["tanh", "relu"]
"""
TABLES = ("information", "training", "gradients")
DEADLINE = 240.0
"""Seconds any wait may take at most (a loaded 2-core machine), then the test fails."""


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    path = tmp_path_factory.mktemp("spec") / "SWEEP.toml"
    path.write_text(SWEEP)
    return path


@pytest.fixture(scope="module")
def reference(spec, tmp_path_factory):
    """The sweep in this process: also compiles (or loads) the kernels' cache that the
    workers then load instead of compiling."""
    out = tmp_path_factory.mktemp("reference")
    result = sweep(spec, out, workers=0, quiet=True, plots=False)
    assert not result.failures
    return out


@pytest.fixture(scope="module")
def client(reference):
    from infoplane.sweep._dispatch import connect

    with connect(2, None) as c:
        yield c


def tables(out: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(out / f"{name}.parquet") for name in TABLES}


def assert_same_tables(out: Path, reference: Path) -> None:
    got, want = tables(out), tables(reference)
    for name in TABLES:
        pd.testing.assert_frame_equal(got[name], want[name])
    keys = ["run", "seed", "epoch", "layer", "estimator"]
    assert not got["information"].duplicated(keys).any()


def wait_for(condition, what: str) -> None:
    end = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_shards_of_one_run_merge_into_the_whole_run(spec, reference, client, tmp_path):
    full = load_plan(spec)
    one = SweepPlan(axes=full.axes, points=full.points[1:])  # relu: per-seed bin ranges
    result = sweep(one, tmp_path, client=client, quiet=True, plots=False)
    assert not result.failures
    name = one.points[0].name
    for table in TABLES:
        got = pd.read_parquet(tmp_path / "runs" / name / f"{table}.parquet")
        want = pd.read_parquet(reference / "runs" / name / f"{table}.parquet")
        pd.testing.assert_frame_equal(got, want)
    assert not (tmp_path / "shards").exists()  # merged, then removed


def sweep_in_background(plan, out, client) -> tuple[threading.Thread, dict]:
    """Start the sweep in a thread; its result lands in the dict under "r"."""
    done: dict = {}
    thread = threading.Thread(
        target=lambda: done.update(r=sweep(plan, out, client=client, quiet=True,
                                           plots=False, shard=False)),
        daemon=True,
    )
    thread.start()
    return thread, done


def test_a_worker_killed_mid_task_is_retried_and_the_sweep_completes(
    spec, reference, client, tmp_path
):
    plan = load_plan(spec)
    thread, done = sweep_in_background(plan, tmp_path, client)
    started = [tmp_path / "runs" / p.name / "config.toml" for p in plan.points]
    wait_for(lambda: any(p.is_file() for p in started), "a run to start")
    busy = {w: keys for w, keys in client.processing().items() if keys}
    assert busy, "no task was running"
    worker = next(iter(busy))
    pid = client.run(os.getpid, workers=[worker])[worker]
    os.kill(pid, signal.SIGKILL)
    thread.join(DEADLINE)
    assert not thread.is_alive()
    assert not done["r"].failures
    assert_same_tables(tmp_path, reference)


def test_a_worker_killed_during_an_estimator_task_is_retried_and_the_sweep_completes(
    spec, reference, client, tmp_path
):
    plan = load_plan(spec)
    thread, done = sweep_in_background(plan, tmp_path, client)
    found: dict[str, str] = {}

    def estimating() -> bool:
        for worker, keys in client.processing().items():
            if any("-kde-" in str(k) for k in keys):
                found["worker"] = worker
                return True
        return not thread.is_alive()

    wait_for(estimating, "an estimator task to run")
    assert "worker" in found, "the sweep ended before any estimator task ran"
    pid = client.run(os.getpid, workers=[found["worker"]])[found["worker"]]
    os.kill(pid, signal.SIGKILL)
    thread.join(DEADLINE)
    assert not thread.is_alive()
    assert not done["r"].failures
    assert_same_tables(tmp_path, reference)


def test_kill_9_of_the_client_then_rerun_gives_the_same_tables(spec, reference, client, tmp_path):
    plan = load_plan(spec)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "infoplane.cli", "sweep", str(spec), "--out", str(out),
         "--workers", "2", "--quiet"],
        env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        dirs = [(out / "runs" / p.name, p.config) for p in plan.points]
        wait_for(lambda: any(run_state(d, c) == "complete" for d, c in dirs)
                 or proc.poll() is not None, "a run to complete")
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # the client only: its workers must follow it
        proc.wait(DEADLINE)
    try:  # Dask's workers exit when the process holding their nannies dies
        wait_for(lambda: not _group_alive(proc.pid), "the killed client's workers to exit")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # never leave an orphan holding a lock

    result = sweep(plan, out, client=client, quiet=True, plots=False)
    assert not result.failures
    assert_same_tables(out, reference)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_local_cluster_ticks_slowly_everywhere(client):
    """The LocalCluster's scheduler, client and workers run with QUIET_CLUSTER, so its
    housekeeping does not take CPU from the workers' tasks on a small machine."""
    import dask

    from infoplane.sweep._dispatch import QUIET_CLUSTER

    def settings() -> dict:
        return {key: dask.config.get(key) for key in QUIET_CLUSTER}

    client.wait_for_workers(2, timeout=DEADLINE)  # a worker killed above is back
    assert settings() == QUIET_CLUSTER  # the client, inside connect()
    assert client.run_on_scheduler(settings) == QUIET_CLUSTER
    assert list(client.run(settings).values()) == [QUIET_CLUSTER, QUIET_CLUSTER]


def test_the_workers_do_not_profile_and_check_memory_every_second(client):
    """QUIET_CLUSTER takes effect where it costs CPU beside a task: no worker runs the
    statistical profiler (every 10 ms by default), and the workers' and nannies' memory
    monitors, kept for the memory limit, run every second instead of every 100 ms."""

    def worker_callbacks(dask_worker) -> tuple[bool, float]:
        callbacks = dask_worker.periodic_callbacks
        return "profile" in callbacks, callbacks["memory_monitor"].callback_time

    def nanny_monitor(dask_worker) -> float:  # run with nanny=True: dask_worker is the nanny
        return dask_worker.periodic_callbacks["memory_monitor"].callback_time

    client.wait_for_workers(2, timeout=DEADLINE)  # a worker killed above is back
    assert list(client.run(worker_callbacks).values()) == [(False, 1000.0)] * 2
    assert list(client.run(nanny_monitor, nanny=True).values()) == [1000.0] * 2
