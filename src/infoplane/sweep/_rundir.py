"""The run directory as a sweep sees it: the one adapter to the run-directory machinery.

Everything the sweep needs to know about a run directory (is it complete, can it be
resumed) and to do with one (run, resume, write merged shards) goes through this
module, so the sweep follows the run directory's status, lock and checkpoints in one
place.

A run directory is *complete* when its three tables exist and their Parquet metadata
records this config and ``epochs_trained`` equal to its epochs. It is *resumable* when
a run was started in it (``config.toml`` exists) and not finished; it is then run again
(continued from its checkpoint where the run directory keeps one). *new* means nothing
was started there. *failed* is reported by run directories that record failures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import pandas as pd
import pyarrow.parquet as pq

from infoplane import store
from infoplane.config import RunConfig
from infoplane.run import RunResult, run

State = Literal["complete", "resumable", "new", "failed"]
RUN_TABLES = ("information", "training", "gradients")


def run_state(run_dir: str | Path, config: RunConfig) -> State:
    """What state the run of ``config`` is in at ``run_dir``."""
    run_dir = Path(run_dir)
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
) -> RunResult:
    """Run ``config`` into ``run_dir``, or continue it there if it was started.

    ``seed_range`` trains one shard of the run's seeds (see :func:`infoplane.run.run`).
    Raises what the run raises (InfoplaneError for a divergence or an impossible point).
    """
    return run(config, run_dir, quiet=True, plots=plots, seed_range=seed_range)


def read_tables(run_dir: str | Path) -> dict[str, pd.DataFrame]:
    """The three tables of a complete run directory, by name."""
    return {name: store.read_table(run_dir, name) for name in RUN_TABLES}


def write_merged(
    run_dir: str | Path, config: RunConfig, tables: dict[str, pd.DataFrame], *, plots: bool
) -> None:
    """Write a run assembled from its shards into ``run_dir``, as the run itself would."""
    run_dir = Path(run_dir)
    store.write_text(run_dir / store.CONFIG, config.to_toml())
    meta = {"config": config.to_toml(), "epochs_trained": str(config.epochs)}
    for name in RUN_TABLES:
        store.write_table(run_dir, name, tables[name], **meta)
    if plots:
        from infoplane.plots import write_run_figures

        write_run_figures(run_dir, *(tables[name] for name in RUN_TABLES))


def _tables_complete(run_dir: Path, config: RunConfig) -> bool:
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
