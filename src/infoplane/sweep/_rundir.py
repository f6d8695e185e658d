"""The run directory as a sweep sees it: the one adapter to the run-directory machinery.

Everything the sweep needs to know about a run directory (is it complete, can it be
resumed) and to do with one (run or resume it, write a run merged from shards) goes
through this module.

The state comes from the run directory's status file (:mod:`infoplane.rundir`:
complete, interrupted, killed, failed, with checkpoints and resume), and runs go
through :func:`infoplane.run.reuse_or_run` (read back if complete, resumed from the
checkpoint if stopped, else run afresh).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal, TypeVar

import pandas as pd

from infoplane import rundir, store
from infoplane.config import RunConfig
from infoplane.errors import InfoplaneError

T = TypeVar("T")
State = Literal["complete", "resumable", "new", "failed"]
RUN_TABLES = ("information", "training", "gradients")
LOCK_WAIT = 1800.0
"""Seconds a task waits for a run directory that another live process holds (e.g. the
task of a sweep whose client was killed, still running on a cluster's worker: Dask
cannot stop a running task), then fails naming the holder."""
LOCK_POLL = 0.5


def run_state(run_dir: str | Path, config: RunConfig) -> State:
    """What state the run of ``config`` is in at ``run_dir``."""
    run_dir = Path(run_dir)
    status = rundir.read_status(run_dir)
    if status is None:
        return "resumable" if (run_dir / store.CONFIG).is_file() else "new"
    if status.state == "complete" and _same_config(run_dir, config):
        return "complete"
    return "failed" if status.state == "failed" else "resumable"


def run_or_resume(
    config: RunConfig,
    run_dir: str | Path,
    *,
    plots: bool = True,
    seed_range: range | None = None,
    defer: tuple[str, ...] = (),
) -> object:
    """Run ``config`` into ``run_dir``, or continue it there if it was started.

    ``seed_range`` trains one shard of the run's seeds, ``defer`` leaves those
    estimators to :func:`estimate_units` (see :func:`infoplane.run.run`).
    A directory that another live process holds is waited for (up to
    :data:`LOCK_WAIT` seconds), then read back or resumed as that process left it.
    Returns the :class:`infoplane.run.RunResult`; raises what the run raises
    (InfoplaneError for a divergence, an impossible point, a directory still in use).
    """
    from infoplane import run as run_module

    return _when_free(lambda: run_module.reuse_or_run(
        config, run_dir, quiet=True, plots=plots, seed_range=seed_range, defer=defer))


def _when_free(work: Callable[[], T]) -> T:
    """``work()``, retried while it finds its run directory held by another process."""
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            return work()
        except rundir.DirectoryInUse as exc:
            if time.monotonic() >= deadline:
                raise InfoplaneError(
                    f"{exc} (waited {LOCK_WAIT:.0f} s; a task of an earlier sweep may still "
                    "run there: run the sweep again once it ends)") from None
            time.sleep(LOCK_POLL)


def estimate_units(
    run_dir: str | Path, estimator: str, at: list[list[int]], *,
    seed_range: range | None = None,
) -> int:
    """Write the missing units of ``estimator`` for the groups of logged epochs ``at``
    of the run trained in ``run_dir`` (see :func:`infoplane.run.estimate_units`)."""
    from infoplane import run as run_module

    return run_module.estimate_units(run_dir, estimator, at, seed_range=seed_range)


def pending_units(
    run_dir: str | Path, config: RunConfig, estimator: str
) -> list[list[int]]:
    """The groups of logged epochs of ``config`` whose ``estimator`` unit ``run_dir``
    does not hold yet (all of them for a run not started)."""
    from infoplane import estimation
    from infoplane.nets.schedule import log_spaced_epochs

    logged = [int(e) for e in log_spaced_epochs(config.epochs, config.log_epochs)]
    return [g for g in estimation.groups(logged)
            if not estimation.unit_done(run_dir, estimator, g)]


def read_tables(run_dir: str | Path) -> dict[str, pd.DataFrame]:
    """The three tables of a complete run directory, by name."""
    return {name: store.read_table(run_dir, name) for name in RUN_TABLES}


def write_merged(
    run_dir: str | Path,
    config: RunConfig,
    tables: dict[str, pd.DataFrame],
    *,
    shard_dir: str | Path,
    plots: bool,
) -> None:
    """Write a run assembled from its shards into ``run_dir``, as the run itself would.

    ``shard_dir`` is one of the shards: its ``config.toml`` (the resolved config, with
    whatever the run recorded when it started) becomes the run's.
    """
    run_dir = Path(run_dir)
    resolved = (Path(shard_dir) / store.CONFIG).read_text(encoding="utf-8")
    meta = {"config": resolved, "epochs_trained": str(config.epochs)}
    figures = ["information_plane.png", "snr.png", "training.png",
               *(f"information_plane_{name}.png" for name in config.estimators[1:])]
    with _when_free(lambda: rundir.RunDir.open(run_dir, config_toml=resolved,
                                               epochs=config.epochs, overwrite=True)) as rd:
        rd.claim(*(f"{name}.parquet" for name in RUN_TABLES), *(figures if plots else []))
        rd.set_status("running", phase="writing")
        _write_files(run_dir, tables, meta, plots=plots)
        last = int(tables["information"]["epoch"].max())
        rd.set_status("complete", phase="done", epochs_trained=config.epochs,
                      last_measured_epoch=last)


def _write_files(
    run_dir: Path, tables: dict[str, pd.DataFrame], meta: dict[str, str], *, plots: bool
) -> None:
    for name in RUN_TABLES:
        store.write_table(run_dir, name, tables[name], **meta)
    if plots:
        from infoplane.plots import write_run_figures

        write_run_figures(run_dir, *(tables[name] for name in RUN_TABLES))


def _same_config(run_dir: Path, config: RunConfig) -> bool:
    """Whether ``run_dir``'s config.toml is ``config`` (what a run records when it
    starts, such as the data set's version, aside)."""
    try:
        stored = RunConfig.from_toml(run_dir / store.CONFIG)
    except InfoplaneError:
        return False
    return stored.replace(dataset_version=None) == config.replace(dataset_version=None)
