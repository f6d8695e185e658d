"""Dispatch a sweep's tasks: in this process, on a LocalCluster, or on a Dask scheduler.

Each task has a deterministic key, so a task resubmitted after a crash is the same
task; the client decides what is done (from the run directories), not the task.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tqdm.auto import tqdm

from infoplane.errors import InfoplaneError, check

WORKER_ENV = {
    "NUMBA_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
}
"""Environment of LocalCluster workers: one thread each for compiled kernels and BLAS."""

QUIET_CLUSTER = {
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.scheduler.work-stealing-interval": "1s",
    "distributed.worker.profile.enabled": False,
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.gil.enabled": False,
}
"""Dask settings of a LocalCluster (scheduler, client, nannies and workers), so that its
housekeeping takes little CPU from the tasks: on 2 cores running 2 one-thread workers,
any CPU a worker process spends beside its task, or the cluster's own process spends,
is taken from the other worker's task.

* tick 1s, system-monitor 2s, work-stealing 1s: the event loops' tick check, resource
  monitor and work-stealing balance run every 1-2 s instead of every 20-500 ms (a
  LocalCluster of 2 idle workers cost its client process 1.86 CPU s per 30 s with the
  defaults, 0.71 with these).
* worker profile off: no statistical profiler, which every 10 ms took the GIL from the
  task to sample its stack (the dashboard's Profile page stays empty). It was most of a
  worker's CPU beside its task: 0.91 -> 0.19 CPU s per 15 s task (below).
* memory monitor-interval 1s (default 100 ms): the nanny (in the client's process for a
  LocalCluster) and the worker check the worker's memory every second. Kept, not
  turned off: the nanny still restarts a worker past 95% of its memory limit, and the
  worker still pauses at 80%; a second is short next to tasks of seconds to minutes.
  The cluster process's CPU per 15 s task: 0.26 -> 0.15 (one nanny; two with 2 workers).
* GIL contention monitor off: without ``gilknocker`` installed (as here) it does
  nothing; with it, a thread polls the GIL every 1 ms.

``benchmarks/bench_worker_overhead.py --all`` (one worker, a 15 s GIL-holding task, 3
repeats, 2 cores at load 1.6-2.1): the worker process's CPU beside its task plus the
cluster process's CPU, with the first three settings only -> with all: 0.91 + 0.26 =
1.17 -> 0.09 + 0.14 = 0.23 CPU s per 15 s task (7.8% -> 1.5% of a core)."""

CONNECT_TIMEOUT = "20s"
"""How long to wait for a scheduler given by address."""
WARM_UP_PROBE = 256
"""Probe-set size of the tiny runs that load every compiled kernel into a new worker
(the kernels do not depend on it, the estimators' cost does; with fewer than
``estimators._pairwise.FLOAT32_MIN_ROWS`` rows kde and noisy would load their float64
kernels, not the float32 ones of the runs)."""


@dataclass(frozen=True)
class Job:
    """One task: ``fn(*args, *dep_results, **kwargs)`` under the key ``key``.

    ``deps`` are keys of earlier jobs; their results are passed, as one tuple, after
    ``args``. ``cost``: its estimated seconds (:mod:`infoplane.sweep._cost`), which
    orders the tasks on Dask (:func:`priorities`) and weighs progress.
    """

    key: str
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    deps: tuple[str, ...] = ()
    cost: float = 1.0


@contextmanager
def connect(workers: int | None, scheduler: str | None) -> Iterator[Any]:
    """A Dask client (None for ``workers == 0``: run in this process without Dask).

    ``scheduler`` (an address like ``tcp://host:8786``) joins an existing cluster;
    otherwise a LocalCluster of ``workers`` processes (default: the number of cores),
    one thread each, listening on 127.0.0.1 only.
    """
    check_where(workers, scheduler)
    if workers == 0 and scheduler is None:
        yield None
        return
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            raise InfoplaneError(f"cannot reach the Dask scheduler {scheduler} ({exc})") \
                from None
        with client:
            warm(client)
            yield client
        return
    import dask

    with dask.config.set(QUIET_CLUSTER):
        cluster = LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            silence_logs=logging.ERROR,
            env=WORKER_ENV,
        )
        with cluster, Client(cluster) as client:
            warm(client)
            yield client


def check_where(workers: int | None, scheduler: str | None) -> None:
    """Check ``--workers`` (>= 0) and the form of a ``--scheduler`` address (a known
    scheme, a port for tcp and tls), before any work; raises InfoplaneError."""
    check(workers is None or workers >= 0, f"--workers must be >= 0, got {workers}")
    if scheduler is None:
        return
    from distributed.comm.addressing import parse_address, parse_host_port
    from distributed.comm.registry import get_backend

    try:
        scheme, location = parse_address(scheduler)
        get_backend(scheme)
        if scheme in ("tcp", "tls"):
            parse_host_port(location)
    except (ValueError, TypeError) as exc:
        raise InfoplaneError(f"--scheduler {scheduler!r} is not a Dask scheduler address "
                             f"like tcp://HOST:8786 ({exc})") from None


def warm(client: Any) -> None:
    """Make every worker (also those that join or restart later) import the package and
    load its compiled kernels once, before its first task (:class:`WarmUp`)."""
    client.register_plugin(WarmUp())


def warm_up() -> float:
    """Import infoplane, torch and numba and load every compiled kernel (from numba's
    cache, or compiled there on a first run) in this process, by tiny runs of every
    estimator; returns the seconds taken. Best effort: a failure is left to the tasks."""
    import tempfile
    import time

    start = time.perf_counter()
    try:
        from infoplane.config import RunConfig
        from infoplane.estimators import available_estimators
        from infoplane.run import run
        from infoplane.sweep._tasks import limit_threads

        limit_threads(1)
        for activation, estimators in (("tanh", tuple(available_estimators())),
                                       ("relu", ("binning",))):
            config = RunConfig(epochs=2, seeds=1, log_epochs=2, activation=activation,
                               estimators=estimators, probe_size=WARM_UP_PROBE)
            with tempfile.TemporaryDirectory(prefix="infoplane-warm-") as tmp:
                run(config, tmp, quiet=True, plots=False)
    except Exception:  # noqa: S110 - the first task then pays, or reports, the cost
        pass
    return time.perf_counter() - start


try:
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # pragma: no cover - distributed is a dependency
    WorkerPlugin = object  # type: ignore[assignment,misc]


class WarmUp(WorkerPlugin):  # type: ignore[misc,valid-type]
    """A Dask worker plugin: :func:`warm_up` when the worker starts (or joins)."""

    name = "infoplane-warm-up"

    def setup(self, worker: Any) -> Any:
        """Run :func:`warm_up` in the thread that runs the worker's tasks, awaited, so
        the event loop (heartbeats) goes on meanwhile."""
        import asyncio

        executor = worker.executors.get("default")
        return asyncio.get_running_loop().run_in_executor(executor, warm_up)


def slots(client: Any) -> int:
    """How many tasks run at once: the cluster's threads (1 in this process)."""
    return 1 if client is None else max(1, sum(client.nthreads().values()))


def dashboard(client: Any) -> str | None:
    """The Dask dashboard's address, if the scheduler serves one."""
    if client is None:
        return None
    try:
        services = client.scheduler_info().get("services", {})
    except Exception:  # an old or unusual scheduler: no link, not an error
        return None
    return client.dashboard_link if "dashboard" in services else None


def dispatch(
    jobs: list[Job],
    client: Any,
    *,
    on_error: Callable[[Job, BaseException], Any],
    quiet: bool = False,
    on_done: Callable[[Job], None] | None = None,
) -> dict[str, Any]:
    """Run ``jobs`` (dependencies first in the list); returns each job's result by key.

    A job that raises (on Dask: also one whose workers kept dying) gets
    ``on_error(job, exception)`` as its result; the other jobs go on. ``on_done(job)``
    is called in this process as each job finishes (progress), after the bar of tasks
    (hidden when ``quiet``) has advanced. On Dask, the jobs go longest chain first
    (:func:`priorities`).
    """
    bar = tqdm(total=len(jobs), desc="sweep", unit="task", disable=quiet)

    def done(job: Job) -> None:
        bar.update(1)
        if on_done is not None:
            on_done(job)

    try:
        if client is None:
            return _in_process(jobs, on_error, done)
        return _on_dask(jobs, client, on_error, done)
    finally:
        bar.close()


def priorities(jobs: list[Job]) -> dict[str, float]:
    """Each job's estimated seconds to the end of its longest chain of dependents (its
    ``cost`` plus its costliest dependent's), by key: the "longest remaining path first"
    order of list scheduling, so the job that would otherwise finish last (the biggest
    run, its slow estimator tasks) starts first and short jobs fill the gaps. A job
    always ranks above its dependents (costs are floored at 1 ms)."""
    level: dict[str, float] = {}
    dependents: dict[str, list[str]] = {job.key: [] for job in jobs}
    for job in jobs:
        for dep in job.deps:
            dependents[dep].append(job.key)
    for job in reversed(jobs):  # dependencies first in the list: dependents come later
        after = max((level[d] for d in dependents[job.key]), default=0.0)
        level[job.key] = max(job.cost, 1e-3) + after
    return level


def _in_process(
    jobs: list[Job], on_error: Callable[[Job, BaseException], Any],
    done: Callable[[Job], None],
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for job in jobs:
        deps = (tuple(results[d] for d in job.deps),) if job.deps else ()
        try:
            results[job.key] = job.fn(*job.args, *deps, **job.kwargs)
        except Exception as exc:  # the same rule as on Dask: record, go on
            results[job.key] = on_error(job, exc)
        done(job)
    return results


def _on_dask(
    jobs: list[Job], client: Any, on_error: Callable[[Job, BaseException], Any],
    done: Callable[[Job], None],
) -> dict[str, Any]:
    """Submit ``jobs`` longest chain first, with that as their Dask priority (each
    worker runs its highest-priority ready task; the scheduler hands out queued ones in
    that order too); a job ranks above its dependents, so they stay submitted after it."""
    from distributed import as_completed

    level = priorities(jobs)
    futures = {}
    for job in sorted(jobs, key=lambda j: -level[j.key]):
        deps = (tuple(futures[d] for d in job.deps),) if job.deps else ()
        futures[job.key] = client.submit(
            job.fn, *job.args, *deps, key=job.key, pure=False,
            priority=round(1000 * level[job.key]), **job.kwargs
        )
    by_key = {job.key: job for job in jobs}
    results: dict[str, Any] = {}
    for future in as_completed(list(futures.values())):
        job = by_key[future.key]
        try:
            results[job.key] = future.result()
        except Exception as exc:
            results[job.key] = on_error(job, exc)
        done(job)
    return results
