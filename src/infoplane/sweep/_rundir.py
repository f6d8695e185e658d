"""The run directory as a sweep sees it: the one adapter to the run-directory machinery.

Everything the sweep needs to know about a run directory (is it complete, can it be
resumed) and to do with one (run or resume it, write a run merged from shards) goes
through this module.

Where the run directory keeps a status file (:mod:`infoplane.rundir`: complete,
interrupted, killed, failed, with checkpoints and resume), the state comes from it and
runs go through :func:`infoplane.run.reuse_or_run` (read back if complete, resumed from
the checkpoint if stopped, else run afresh). Without it, a run directory is *complete*
when its three tables exist and their Parquet metadata records this config and
``epochs_trained`` equal to its epochs; *resumable* when a run was started in it
(``config.toml`` exists), which then runs again.
"""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path
from types import ModuleType
from typing import Literal

import pandas as pd
import pyarrow.parquet as pq

from infoplane import store
from infoplane.config import RunConfig
from infoplane.errors import InfoplaneError

State = Literal["complete", "resumable", "new", "failed"]
RUN_TABLES = ("information", "training", "gradients")
IB_TABLES = ("ib_curve", "ib_layers")
"""Written after RUN_TABLES by runs with ``ib``."""


def run_state(run_dir: str | Path, config: RunConfig) -> State:
    """What state the run of ``config`` is in at ``run_dir``."""
    run_dir = Path(run_dir)
    rundir = _rundir_api()
    if rundir is not None:
        status = rundir.read_status(run_dir)
        if status is None:
            return "resumable" if (run_dir / store.CONFIG).is_file() else "new"
        if status.state == "complete" and _same_config(run_dir, config):
            return "complete"
        return "failed" if status.state == "failed" else "resumable"
    if _tables_complete(run_dir, config):
        return "complete"
    if (run_dir / store.CONFIG).is_file():
        return "resumable"
    return "new"


def run_or_resume(
    config: RunConfig,
    run_dir: str | Path,
    *,
    plots: bool = True,
    seed_range: range | None = None,
) -> object:
    """Run ``config`` into ``run_dir``, or continue it there if it was started.

    ``seed_range`` trains one shard of the run's seeds (see :func:`infoplane.run.run`).
    Returns the :class:`infoplane.run.RunResult`; raises what the run raises
    (InfoplaneError for a divergence, an impossible point, a directory in use).
    """
    from infoplane import run as run_module

    shard = {} if seed_range is None else {"seed_range": seed_range}
    if hasattr(run_module, "reuse_or_run"):
        return run_module.reuse_or_run(config, run_dir, quiet=True, plots=plots, **shard)
    return run_module.run(config, run_dir, quiet=True, plots=plots, **shard)


def can_shard() -> bool:
    """Whether runs here can train a shard of their seeds (``seed_range``)."""
    from infoplane import run as run_module

    fn = getattr(run_module, "reuse_or_run", run_module.run)
    return "seed_range" in inspect.signature(fn).parameters


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
    rundir = _rundir_api()
    if rundir is None:
        store.write_text(run_dir / store.CONFIG, resolved)
        _write_files(run_dir, tables, meta, plots=plots)
        return
    with rundir.RunDir.open(run_dir, config_toml=resolved, epochs=config.epochs,
                            overwrite=True) as rd:
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


def _rundir_api() -> ModuleType | None:
    """:mod:`infoplane.rundir` (status files, locks) where this installation has it."""
    try:
        return importlib.import_module("infoplane.rundir")
    except ImportError:
        return None


def _same_config(run_dir: Path, config: RunConfig) -> bool:
    """Whether ``run_dir``'s config.toml is ``config`` (what a run records when it
    starts, such as the data set's version, aside)."""
    try:
        stored = RunConfig.from_toml(run_dir / store.CONFIG)
    except InfoplaneError:
        return False
    unset = {k: None for k in ("dataset_version",) if hasattr(config, k)}
    return stored.replace(**unset) == config.replace(**unset)


def _tables_complete(run_dir: Path, config: RunConfig) -> bool:
    if config.ib and not all((run_dir / f"{n}.parquet").is_file() for n in IB_TABLES):
        return False
    for name in RUN_TABLES:
        path = run_dir / f"{name}.parquet"
        if not path.is_file():
            return False
        try:
            meta = json.loads(pq.read_schema(path).metadata[b"infoplane"])
        except (OSError, KeyError, TypeError, ValueError):  # unreadable: not complete
            return False
        if meta.get("config") != config.to_toml() or meta.get("epochs_trained") != str(
            config.epochs
        ):
            return False
    return True
