"""Many runs as tasks, skipping complete ones: what ``sweep`` and ``reproduce`` share.

On Dask a run is trained by one task, or, when there are fewer runs than worker
threads, by one task per shard of a new run's seeds plus a task that merges the shards
into the run directory. The slow estimators (:data:`SLOW_ESTIMATORS`) of a run (or
shard) are separate tasks: after its training task (which also estimates the cheap
estimators), one task per (estimator, chunk of groups of logged epochs), then a task
that assembles the tables from the units and marks the run complete. Units already
written (a rerun after a crash) get no task. In this process (``workers=0``) each run
is one task that does everything.
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
"""Dask keys: ``infoplane-<run>-<dir hash>`` and ``...-seeds-<first>-<last>``, with
``-train`` and ``-<estimator>-e<first>-e<last>`` for a run's training and estimator
tasks."""
SLOW_ESTIMATORS = ("kde", "noisy", "knn")
"""Estimators run as tasks of their own on Dask; binning and adaptive stay in the
training task (cheap next to training)."""
TASKS_PER_SLOT = 2
"""Estimator tasks aimed at per worker thread (more, smaller ones balance the tail;
never smaller than one group of logged epochs)."""


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
    split: bool = True,
) -> RunsDone:
    """Make every run of ``runs`` that is not complete; see :func:`infoplane.sweep.sweep`
    for ``workers``, ``scheduler``, ``client`` and ``shard``. Shards are trained under
    ``shards_dir/<run name>/`` and removed once merged. ``split``: on Dask, run the
    slow estimators as tasks of their own (see the module docstring)."""
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
                             shard=shard, split=split)
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
    split: bool = True,
) -> list[_dispatch.Job]:
    """The tasks of ``todo``, dependencies first (see the module docstring): a run's
    tasks, or, when runs are fewer than worker threads, those of each shard of a new
    run's seeds and a merge task. Shards already complete are not trained again."""
    threads = None if client is None else 1
    slots = _dispatch.slots(client)
    shard = shard and bool(todo)
    split = split and client is not None
    per_run = math.ceil(slots / len(todo)) if shard else 1
    units = sum(min(per_run, r.config.seeds) for r in todo)  # runs or shards to train
    jobs: list[_dispatch.Job] = []
    for run in todo:
        c, key = run.config, _key(run)
        n = min(per_run, c.seeds)
        slow = tuple(e for e in c.estimators if e in SLOW_ESTIMATORS) if split else ()
        chunks = max(1, math.ceil(TASKS_PER_SLOT * slots / max(1, units * len(slow))))
        if n <= 1 or c.ib or states[run.name] != "new":
            jobs += _run_jobs(key, run.name, c, str(run.run_dir), slow, chunks,
                              threads=threads, plots=plots)
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
                jobs += _run_jobs(f"{key}-{label}", run.name, c, str(path), slow, chunks,
                                  threads=threads, plots=False, seed_range=seeds)
            keys.append(jobs[-1].key)
        jobs.append(_dispatch.Job(key, _tasks.merge,
                                  (run.name, c, str(run.run_dir), shard_dirs),
                                  {"plots": plots}, deps=tuple(keys)))
    return jobs


def _run_jobs(
    key: str,
    name: str,
    config: RunConfig,
    run_dir: str,
    slow: tuple[str, ...],
    chunks: int,
    *,
    threads: int | None,
    plots: bool,
    seed_range: range | None = None,
) -> list[_dispatch.Job]:
    """The tasks of one run (or shard) into ``run_dir``, the last one under ``key``:
    training alone without ``slow`` estimators; else training, the slow estimators' units
    not yet written (each estimator's in about ``chunks`` tasks) and the assembly."""
    shard = {} if seed_range is None else {"seed_range": seed_range}
    if not slow:
        return [_dispatch.Job(key, _tasks.train, (name, config, run_dir),
                              {**shard, "plots": plots, "threads": threads})]
    train_key = f"{key}-train"
    jobs = [_dispatch.Job(train_key, _tasks.train, (name, config, run_dir),
                          {**shard, "plots": False, "threads": threads, "defer": slow})]
    for estimator in slow:
        pending = _rundir.pending_units(run_dir, config, estimator)
        size = max(1, math.ceil(len(pending) / chunks))
        for k in range(0, len(pending), size):
            at = pending[k : k + size]
            jobs.append(_dispatch.Job(
                f"{key}-{estimator}-e{at[0][0]}-e{at[-1][-1]}", _tasks.estimate,
                (name, run_dir, estimator, at), {**shard, "threads": threads},
                deps=(train_key,),
            ))
    jobs.append(_dispatch.Job(key, _tasks.assemble, (name, config, run_dir),
                              {**shard, "plots": plots, "threads": threads},
                              deps=tuple(j.key for j in jobs)))
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
