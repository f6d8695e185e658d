"""Many runs as tasks, skipping complete ones: what ``sweep`` and ``reproduce`` share.

On Dask a run is trained by one task, or, when there are fewer runs than worker
threads or the run alone costs more than an even share of the work, by one task per
shard of a new run's seeds plus a task that merges the shards into the run directory.
The slow estimators (:data:`SLOW_ESTIMATORS`) of a run (or
shard) are separate tasks: after its training task (which also estimates the cheap
estimators), one task per (estimator, chunk of groups of logged epochs), then a task
that assembles the tables from the units and marks the run complete. Units already
written (a rerun after a crash) get no task. In this process (``workers=0``) each run
is one task that does everything. Every task carries an estimated cost
(:mod:`infoplane.sweep._cost`): Dask starts the longest chains first.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from infoplane.config import RunConfig
from infoplane.sweep import _cost, _dispatch, _rundir, _tasks
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
    progress: Progress | None = None,
) -> RunsDone:
    """Make every run of ``runs`` that is not complete; see :func:`infoplane.sweep.sweep`
    for ``workers``, ``scheduler``, ``client`` and ``shard``. Shards are trained under
    ``shards_dir/<run name>/`` and removed once merged. ``split``: on Dask, run the
    slow estimators as tasks of their own (see the module docstring). ``progress``
    (:data:`Progress`) is told of each finished task, and then replaces the bar of tasks
    (the dashboard's address is still printed unless ``quiet``)."""
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
                tqdm.write(f"Dask dashboard: {link}")
            jobs = make_jobs(todo, before, active, shards_dir=shards_dir, plots=plots,
                             shard=shard, split=split)
            results = _dispatch.dispatch(jobs, active, on_error=_lost,
                                         quiet=quiet or progress is not None,
                                         on_done=_reporter(jobs, progress))
            final = {_key(r) for r in todo}
            outcomes = {r.run: r for k, r in results.items() if k in final}
    except KeyboardInterrupt:
        interrupted = True
    if shards_dir.is_dir() and not any(shards_dir.iterdir()):
        shards_dir.rmdir()
    return RunsDone(before, outcomes, interrupted, link)


Progress = Callable[[str, float], None]
"""``progress(run, share)``, called in the client as each task of a run finishes:
``share`` is that task's part of the run's estimated cost (a run's shares sum to 1)."""


def _reporter(
    jobs: Sequence[_dispatch.Job], progress: Progress | None
) -> Callable[[_dispatch.Job], None] | None:
    """``on_done`` for :func:`_dispatch.dispatch` that calls ``progress`` with shares."""
    if progress is None:
        return None
    total: dict[str, float] = {}
    for job in jobs:
        total[job.args[0]] = total.get(job.args[0], 0.0) + job.cost

    def on_done(job: _dispatch.Job) -> None:
        whole = total[job.args[0]]
        progress(job.args[0], job.cost / whole if whole > 0 else 1.0)

    return on_done


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
    tasks, or those of each shard of a new run's seeds and a merge task when runs are
    fewer than worker threads or a run alone would outlast an even share of the work
    (:func:`shards`). Shards already complete are not trained again. Each task carries
    its estimated cost (:mod:`infoplane.sweep._cost`)."""
    threads = None if client is None else 1
    slots = _dispatch.slots(client)
    shard = shard and bool(todo)
    split = split and client is not None
    fair = sum(_cost.run_seconds(r.config, plots=plots) for r in todo) / slots
    parts = {r.name: shards(r.config, len(todo), slots, fair, plots=plots)
             if shard and not r.config.ib and states[r.name] == "new" else 1 for r in todo}
    units = sum(parts.values())  # runs or shards to train
    jobs: list[_dispatch.Job] = []
    for run in todo:
        c, key = run.config, _key(run)
        n = parts[run.name]
        slow = tuple(e for e in c.estimators if e in SLOW_ESTIMATORS) if split else ()
        chunks = max(1, math.ceil(TASKS_PER_SLOT * slots / max(1, units * len(slow))))
        if n <= 1:
            jobs += _run_jobs(key, run.name, c, str(run.run_dir), slow, chunks, fair,
                              threads=threads, plots=plots)
            continue
        shard_dirs, keys = [], []
        for part in np.array_split(np.arange(c.seed, c.seed + c.seeds), n):
            seeds = range(int(part[0]), int(part[-1]) + 1)
            label = f"seeds-{seeds.start}-{seeds.stop - 1}"
            path = shards_dir / run.name / label
            shard_dirs.append(str(path))
            if _rundir.run_state(path, c) == "complete":
                jobs.append(_dispatch.Job(f"{key}-{label}", _done, (run.name,), cost=0.0))
            else:
                jobs += _run_jobs(f"{key}-{label}", run.name, c, str(path), slow, chunks,
                                  fair, threads=threads, plots=False, seed_range=seeds)
            keys.append(jobs[-1].key)
        jobs.append(_dispatch.Job(key, _tasks.merge,
                                  (run.name, c, str(run.run_dir), shard_dirs),
                                  {"plots": plots}, deps=tuple(keys),
                                  cost=_finish_seconds(plots)))
    return jobs


def shards(config: RunConfig, runs: int, slots: int, fair: float, *, plots: bool) -> int:
    """Into how many shards of seeds to split a run of ``runs`` on ``slots`` worker
    threads: enough to give every thread a shard when runs are fewer than threads, and
    enough that no shard costs more than ``fair`` (the work's estimated seconds over the
    threads), so that one big run does not finish alone long after the others; at most
    one a seed. (Runs with the IB bound, and runs already started, are not split.)"""
    even = math.ceil(slots / runs)
    big = math.ceil(_cost.run_seconds(config, plots=plots) / fair) if fair > 0 else 1
    return max(1, min(config.seeds, max(even, big)))


def _finish_seconds(plots: bool) -> float:
    """An assembly or merge task: reading and writing tables, and figures if drawn."""
    return _cost.SECONDS_PER_RUN / 2 + (_cost.SECONDS_PER_RUN if plots else 0.0)


def _run_jobs(
    key: str,
    name: str,
    config: RunConfig,
    run_dir: str,
    slow: tuple[str, ...],
    chunks: int,
    fair: float,
    *,
    threads: int | None,
    plots: bool,
    seed_range: range | None = None,
) -> list[_dispatch.Job]:
    """The tasks of one run (or shard) into ``run_dir``, the last one under ``key``:
    training alone without ``slow`` estimators; else training, the slow estimators' units
    not yet written and the assembly. Each estimator's units go in about ``chunks``
    tasks, more where one such task would cost over ``fair / TASKS_PER_SLOT`` seconds
    (a unit, one group of logged epochs, is never split)."""
    shard = {} if seed_range is None else {"seed_range": seed_range}
    seeds = config.seeds if seed_range is None else len(seed_range)
    if not slow:
        cost = _cost.run_seconds(config, plots=plots and seed_range is None, seeds=seeds)
        return [_dispatch.Job(key, _tasks.train, (name, config, run_dir),
                              {**shard, "plots": plots, "threads": threads}, cost=cost)]
    train_key = f"{key}-train"
    jobs = [_dispatch.Job(train_key, _tasks.train, (name, config, run_dir),
                          {**shard, "plots": False, "threads": threads, "defer": slow},
                          cost=_cost.training_seconds(config, seeds=seeds, deferred=slow))]
    for estimator in slow:
        pending = _rundir.pending_units(run_dir, config, estimator)
        whole = _cost.estimate_seconds(config, estimator, sum(map(len, pending)), seeds)
        tasks = max(chunks, math.ceil(whole * TASKS_PER_SLOT / fair) if fair > 0 else 1)
        size = max(1, math.ceil(len(pending) / tasks))
        for k in range(0, len(pending), size):
            at = pending[k : k + size]
            jobs.append(_dispatch.Job(
                f"{key}-{estimator}-e{at[0][0]}-e{at[-1][-1]}", _tasks.estimate,
                (name, run_dir, estimator, at), {**shard, "threads": threads},
                deps=(train_key,),
                cost=_cost.estimate_seconds(config, estimator, sum(map(len, at)), seeds),
            ))
    jobs.append(_dispatch.Job(key, _tasks.assemble, (name, config, run_dir),
                              {**shard, "plots": plots, "threads": threads},
                              deps=tuple(j.key for j in jobs),
                              cost=_finish_seconds(plots and seed_range is None)))
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
    client: Any = None,
    quiet: bool = False,
    plots: bool = True,
    progress: Progress | None = None,
) -> tuple[dict[str, Any], dict[str, float]]:
    """Make the runs ``root/runs/<name>`` of ``configs`` on Dask (as :func:`run_all`)
    and read them back: (:class:`infoplane.run.RunResult` by name, seconds by name).
    ``progress``: see :data:`Progress`.

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
                   scheduler=scheduler, client=client, quiet=quiet, plots=plots,
                   progress=progress)
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
