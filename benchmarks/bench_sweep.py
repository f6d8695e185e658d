"""Sweep scaling: the same sweep with --workers 1 and --workers 2 (and 0 for reference).

Runs, one after the other and each into a fresh directory, a grid of runs like the
reproduction's (tanh and ReLU at the paper's three training-set sizes, binning and kde)
through :func:`infoplane.sweep.sweep`:
  * ``--workers 1``: a LocalCluster of one worker process, one thread;
  * ``--workers 2``: two worker processes, one thread each (target: >= 1.7x the above
    on 2 free cores);
  * ``--workers 0``: in this process, the compiled kernels on every core (reference).
Each cluster is started once and its workers warmed (imports, compiled kernels) before
the clock; that start-up is printed apart, and the ratio is given with and without it.
The numbers mean something only on an otherwise idle machine: the load is printed.
Because other jobs may share the cores, each mode also prints CPU accounting that the
load does not distort: the CPU seconds its worker processes spent (psutil), the seconds
each worker spent in tasks (Dask's task stream), and their quotient (the share of a core
a worker got while running tasks; near 1 when its core was free). Equal CPU seconds in
both modes mean the work did not grow; a share well under 1 means the wall-clock ratio
measured contention, not the sweep.

    PYTHONPATH=src python benchmarks/bench_sweep.py [--epochs 2000] [--seeds 10]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from infoplane.sweep import make_plan, sweep
from infoplane.sweep._dispatch import connect


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2000)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--log-epochs", type=int, default=40)
    parser.add_argument("--estimators", default="binning,kde")
    parser.add_argument("--modes", default="1,2", help="worker counts, in order")
    args = parser.parse_args()
    plan = make_plan({
        "base": {"epochs": args.epochs, "seeds": args.seeds, "log_epochs": args.log_epochs,
                 "estimators": args.estimators.split(",")},
        "grid": {"activation": ["tanh", "relu"], "train_fraction": [0.05, 0.45, 0.85]},
    })
    print(f"{len(plan.points)} runs x {args.seeds} seeds x {args.epochs} epochs, "
          f"~{args.log_epochs} logged epochs, estimators {args.estimators}; "
          f"load average before: {_load()}")
    seconds, startup = {}, {}
    for workers in (int(w) for w in args.modes.split(",")):
        with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
            start = time.perf_counter()
            with connect(workers, None) as client:  # cluster + warm workers, not timed
                startup[workers] = time.perf_counter() - start
                cpu_before = _worker_cpu(client)
                start = time.perf_counter()
                with _task_stream(client) as stream:
                    result = sweep(plan, Path(tmp), client=client, workers=workers,
                                   quiet=True, plots=False)
                seconds[workers] = time.perf_counter() - start
                cpu = {w: c - cpu_before.get(w, 0.0) for w, c in _worker_cpu(client).items()}
            assert not result.failures, result.failures
        print(f"--workers {workers}: {seconds[workers]:7.1f} s "
              f"(+ {startup[workers]:.1f} s cluster start-up and warm-up); load {_load()}")
        if client is not None:
            busy = _busy(stream)
            for w in sorted(cpu):
                b = busy.get(w, 0.0)
                print(f"    worker {w}: {cpu[w]:7.1f} CPU s, {b:7.1f} s in tasks "
                      f"({_count(stream, w)} tasks), core share {cpu[w] / max(b, 1e-9):.2f}")
            print(f"    all workers: {sum(cpu.values()):7.1f} CPU s")
    if 1 in seconds and 2 in seconds:
        print(f"--workers 2 over --workers 1: {seconds[1] / seconds[2]:.2f}x "
              f"({(seconds[1] + startup[1]) / (seconds[2] + startup[2]):.2f}x with start-up)")


def _worker_cpu(client: Any) -> dict[str, float]:
    """CPU seconds (user + system) each worker process has spent so far, by address."""
    if client is None:
        return {}
    return client.run(_own_cpu)


def _own_cpu() -> float:
    import psutil

    times = psutil.Process().cpu_times()
    return times.user + times.system


@contextmanager
def _task_stream(client: Any) -> Iterator[Any]:
    if client is None:
        yield None
        return
    from distributed import get_task_stream

    with get_task_stream(client) as stream:
        yield stream


def _busy(stream: Any) -> dict[str, float]:
    """Seconds each worker spent computing tasks, from Dask's task stream."""
    busy: dict[str, float] = {}
    for task in stream.data:
        for part in task["startstops"]:
            if part["action"] == "compute":
                busy[task["worker"]] = busy.get(task["worker"], 0.0) + part["stop"] - part["start"]
    return busy


def _count(stream: Any, worker: str) -> int:
    return sum(task["worker"] == worker for task in stream.data)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
