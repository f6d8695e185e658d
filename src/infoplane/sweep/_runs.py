"""Many runs as tasks, skipping complete ones: what ``sweep`` and ``reproduce`` share.

Each run is one task, or, when there are fewer runs than worker threads, one task per
shard of a new run's seeds plus a task that merges the shards into the run directory.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from infoplane.config import RunConfig
from infoplane.sweep import _dispatch, _rundir, _tasks
from infoplane.sweep._tasks import Outcome

KEY_PREFIX = "infoplane"
"""Dask keys: ``infoplane-<run>-<dir hash>`` and ``...-seeds-<first>-<last>``."""


@dataclass(frozen=True)
class RunTask:
    """A run to make: its name (unique, also its Dask key), config and directory."""

    name: str
    config: RunConfig
    run_dir: Path


@dataclass(frozen=True)
class RunsDone:
    """What :func:`run_all` did: each run's state before, the outcomes of those it ran
    (by name), whether Ctrl-C stopped it, and the Dask dashboard's address if any."""

    before: dict[str, str]
    outcomes: dict[str, Outcome]
    interrupted: bool
    dashboard: str | None


def run_all(
    runs: Sequence[RunTask],
    *,
    shards_dir: Path,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Any = None,
    quiet: bool = False,
    plots: bool = True,
    shard: bool = True,
) -> RunsDone:
    """Make every run of ``runs`` that is not complete; see :func:`infoplane.sweep.sweep`
    for ``workers``, ``scheduler``, ``client`` and ``shard``. Shards are trained under
    ``shards_dir/<run name>/`` and removed once merged."""
    before = {r.name: _rundir.run_state(r.run_dir, r.config) for r in runs}
    todo = [r for r in runs if before[r.name] != "complete"]
    outcomes: dict[str, Outcome] = {}
    interrupted = False
    link = None
    context = nullcontext(client) if client is not None else _dispatch.connect(workers, scheduler)
    try:
        with context as active:
            link = _dispatch.dashboard(active)
            if link and not quiet:
                print(f"Dask dashboard: {link}")
            jobs = make_jobs(todo, before, active, shards_dir=shards_dir, plots=plots,
                             shard=shard)
            results = _dispatch.dispatch(jobs, active, on_error=_lost, quiet=quiet)
            final = {_key(r) for r in todo}
            outcomes = {r.run: r for k, r in results.items() if k in final}
    except KeyboardInterrupt:
        interrupted = True
    if shards_dir.is_dir() and not any(shards_dir.iterdir()):
        shards_dir.rmdir()
    return RunsDone(before, outcomes, interrupted, link)


def make_jobs(
    todo: Sequence[RunTask],
    states: dict[str, str],
    client: Any,
    *,
    shards_dir: Path,
    plots: bool,
    shard: bool,
) -> list[_dispatch.Job]:
    """One task per run; or, when runs are fewer than worker threads, one per shard of
    a new run's seeds and a merge task. Shards already complete are not trained again."""
    threads = None if client is None else 1
    shard = shard and bool(todo)
    per_run = math.ceil(_dispatch.slots(client) / len(todo)) if shard else 1
    jobs = []
    for run in todo:
        c, key = run.config, _key(run)
        n = min(per_run, c.seeds)
        if n <= 1 or c.ib or states[run.name] != "new":
            jobs.append(_dispatch.Job(key, _tasks.train, (run.name, c, str(run.run_dir)),
                                      {"plots": plots, "threads": threads}))
            continue
        shard_dirs, keys = [], []
        for part in np.array_split(np.arange(c.seed, c.seed + c.seeds), n):
            seeds = range(int(part[0]), int(part[-1]) + 1)
            label = f"seeds-{seeds.start}-{seeds.stop - 1}"
            path = shards_dir / run.name / label
            shard_dirs.append(str(path))
            if _rundir.run_state(path, c) == "complete":
                jobs.append(_dispatch.Job(f"{key}-{label}", _done, (run.name,)))
            else:
                jobs.append(_dispatch.Job(
                    f"{key}-{label}", _tasks.train, (run.name, c, str(path)),
                    {"seed_range": seeds, "plots": False, "threads": threads},
                ))
            keys.append(jobs[-1].key)
        jobs.append(_dispatch.Job(key, _tasks.merge,
                                  (run.name, c, str(run.run_dir), shard_dirs),
                                  {"plots": plots}, deps=tuple(keys)))
    return jobs


def _key(run: RunTask) -> str:
    """The run's task key: its name and where it is written (the same run into two
    directories is two tasks; the same run into one directory, one task)."""
    where = hashlib.sha256(str(run.run_dir.absolute()).encode()).hexdigest()[:8]
    return f"{KEY_PREFIX}-{run.name}-{where}"


def _done(name: str) -> Outcome:
    return Outcome(name, "complete")


def _lost(job: _dispatch.Job, exc: BaseException) -> Outcome:
    """The outcome of a task that raised, or whose workers died running it."""
    return Outcome(job.args[0], "failed", _tasks.one_line(exc, type(exc).__name__))


def run_configs(
    configs: dict[str, RunConfig],
    root: Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    quiet: bool = False,
    plots: bool = True,
) -> tuple[dict[str, Any], dict[str, float]]:
    """Make the runs ``root/runs/<name>`` of ``configs`` on Dask (as :func:`run_all`)
    and read them back: (:class:`infoplane.run.RunResult` by name, seconds by name).

    Raises
    ------
    InfoplaneError
        If a run failed (the first failure's reason).
    KeyboardInterrupt
        If Ctrl-C stopped it; rerunning resumes.
    """
    from infoplane.errors import InfoplaneError
    from infoplane.run import RunResult

    runs = [RunTask(name, c, Path(root) / "runs" / name) for name, c in configs.items()]
    done = run_all(runs, shards_dir=Path(root) / "shards", workers=workers,
                   scheduler=scheduler, quiet=quiet, plots=plots)
    if done.interrupted:
        raise KeyboardInterrupt
    results, seconds = {}, {}
    for run in runs:
        outcome = done.outcomes.get(run.name)
        if (outcome is not None and outcome.status != "complete") or _rundir.run_state(
            run.run_dir, run.config
        ) != "complete":
            reason = outcome.reason if outcome else "not complete"
            raise InfoplaneError(f"run {run.name} failed: {reason}")
        seconds[run.name] = outcome.seconds if outcome else 0.0
        results[run.name] = RunResult(
            out=run.run_dir, **_rundir.read_tables(run.run_dir),
            epochs_trained=run.config.epochs, interrupted=False,
            seconds={"total": seconds[run.name]},
        )
    return results, seconds
