"""The work of a sweep as tasks: pure functions of their arguments, safe to retry.

A task never raises for a run that fails: it returns an :class:`Outcome` naming the
reason, so the other runs continue and the dispatcher does not retry a run that can
only fail again. A task that dies with its worker is retried elsewhere by Dask; its
run directory is then resumed (see :mod:`infoplane.sweep._rundir`).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from infoplane.config import RunConfig
from infoplane.errors import InfoplaneError
from infoplane.sweep import _rundir

SORT_KEYS = {
    "information": ["estimator", "epoch", "layer", "seed"],
    "training": ["epoch", "seed"],
    "gradients": ["seed", "epoch", "layer"],
}
"""The row order of each table as a run writes it, restored after merging shards."""


@dataclass(frozen=True)
class Outcome:
    """How a task went: ``status`` is complete, failed or interrupted; wall seconds."""

    run: str
    status: str
    reason: str = ""
    seconds: float = 0.0


def train(
    name: str,
    config: RunConfig,
    run_dir: str,
    *,
    seed_range: range | None = None,
    plots: bool = True,
    threads: int | None = None,
    defer: tuple[str, ...] = (),
) -> Outcome:
    """Run (or resume) ``config`` in ``run_dir``; ``seed_range`` trains a shard only.

    ``threads`` caps the compiled kernels' and torch's threads in this task (a Dask
    worker runs one task per thread it has, so one each keeps the cores unshared).
    ``defer``: estimators whose units are left to :func:`estimate` tasks; the run is
    then complete only once :func:`assemble` has run.
    """
    start = time.perf_counter()
    if threads is not None:
        limit_threads(threads)
    try:
        result = _rundir.run_or_resume(
            config, run_dir, plots=plots and seed_range is None, seed_range=seed_range,
            defer=defer,
        )
    except InfoplaneError as exc:
        return Outcome(name, "failed", one_line(exc), time.perf_counter() - start)
    except Exception as exc:  # one point's failure must not end the sweep
        return Outcome(name, "failed", one_line(exc, type(exc).__name__),
                       time.perf_counter() - start)
    if result.interrupted:  # Ctrl-C in this process: the sweep stops here
        raise KeyboardInterrupt
    return Outcome(name, "complete", "", time.perf_counter() - start)


def estimate(
    name: str,
    run_dir: str,
    estimator: str,
    at: list[list[int]],
    trained: tuple[Outcome, ...] = (),
    *,
    seed_range: range | None = None,
    threads: int | None = None,
) -> Outcome:
    """Write the units of ``estimator`` for the groups of logged epochs ``at`` of the
    run trained in ``run_dir`` (units already written are skipped); ``trained`` is the
    outcome of its training task (nothing is done if that failed)."""
    start = time.perf_counter()
    bad = [t for t in trained if t.status != "complete"]
    if bad:
        return Outcome(name, bad[0].status, bad[0].reason)
    if threads is not None:
        limit_threads(threads)
    try:
        _rundir.estimate_units(run_dir, estimator, at, seed_range=seed_range)
    except Exception as exc:  # one point's failure must not end the sweep
        prefix = "" if isinstance(exc, InfoplaneError) else type(exc).__name__
        return Outcome(name, "failed", f"{estimator}: {one_line(exc, prefix)}",
                       time.perf_counter() - start)
    return Outcome(name, "complete", "", time.perf_counter() - start)


def assemble(
    name: str,
    config: RunConfig,
    run_dir: str,
    parts: tuple[Outcome, ...],
    *,
    seed_range: range | None = None,
    plots: bool = True,
    threads: int | None = None,
) -> Outcome:
    """Write the run's tables (and figures) from its units once its training and
    estimator tasks (``parts``) are done, and mark it complete; the outcome's seconds
    are those of every part."""
    spent = sum(p.seconds for p in parts)
    bad = [p for p in parts if p.status != "complete"]
    if bad:
        return Outcome(name, bad[0].status, bad[0].reason, spent)
    done = train(name, config, run_dir, seed_range=seed_range, plots=plots, threads=threads)
    return Outcome(name, done.status, done.reason, spent + done.seconds)


def merge(
    name: str,
    config: RunConfig,
    run_dir: str,
    shard_dirs: Sequence[str],
    shards: Sequence[Outcome],
    *,
    plots: bool = True,
) -> Outcome:
    """Join the shards' tables into the run's own directory, then remove the shards.

    The tables equal those of the whole run trained at once: each seed trains the same
    alone, and the rows are put back in the order a run writes them.
    """
    start = time.perf_counter()
    spent = sum(s.seconds for s in shards)
    bad = [s for s in shards if s.status != "complete"]
    if bad:
        return Outcome(name, bad[0].status, bad[0].reason, spent)
    try:
        parts = [_rundir.read_tables(d) for d in shard_dirs]
        tables = {
            table: pd.concat([p[table] for p in parts], ignore_index=True)
            .sort_values(keys, kind="stable", ignore_index=True)
            for table, keys in SORT_KEYS.items()
        }
        _rundir.write_merged(run_dir, config, tables, shard_dir=shard_dirs[0], plots=plots)
    except Exception as exc:
        return Outcome(name, "failed", one_line(exc, type(exc).__name__),
                       spent + time.perf_counter() - start)
    for d in shard_dirs:
        shutil.rmtree(d, ignore_errors=True)
    parent = Path(shard_dirs[0]).parent if shard_dirs else None
    if parent is not None and parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()
    return Outcome(name, "complete", "", spent + time.perf_counter() - start)


def limit_threads(threads: int) -> None:
    """Cap numba's and torch's threads for the calling thread's work.

    Also makes ``NUMBA_NUM_THREADS`` in the environment agree with the thread pool numba
    has: numba re-reads the environment whenever it compiles, and refuses a value other
    than the pool it launched ("Cannot set NUMBA_NUM_THREADS ..."), which made every
    kernel compiled in a Dask worker (a cold cache: a fresh install) fail its task.
    """
    import os

    import numba
    import torch

    os.environ["NUMBA_NUM_THREADS"] = str(numba.config.NUMBA_NUM_THREADS)

    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    torch.set_num_threads(threads)


def one_line(exc: BaseException, prefix: str = "") -> str:
    """An exception's message on one line (its first), with an optional type prefix."""
    text = (str(exc).strip().splitlines() or [""])[0]
    return f"{prefix}: {text}" if prefix and text else (prefix or text or repr(exc))
