"""Housekeeping CPU of a Dask worker beside a running task, under Dask settings.

On a 2-core machine running 2 one-thread workers, whatever CPU a worker process spends
outside its task thread (event loop, statistical profiler, memory and system
monitors, heartbeats) and whatever the LocalCluster's own process spends (scheduler,
the nannies, which LocalCluster runs in the client's process, and the client) is taken
from the other worker's task. This starts a LocalCluster of one worker process, one
thread (as :func:`infoplane.sweep._dispatch.connect` does, with its ``WORKER_ENV``),
under each of these Dask settings:

  * ``quiet``: :data:`infoplane.sweep._dispatch.QUIET_CLUSTER` as committed;
  * ``quiet-before``: the settings before this benchmark's additions;
  * ``no-profile``, ``monitor-1s``: ``quiet-before`` plus one addition each (``--all``);

runs one CPU-bound task (small NumPy operations and pure Python in turn, so the task
holds the GIL most of the time and any other thread that wants it must take it from the
task) for ``--seconds`` of wall clock, and prints, per run:

  * ``worker aux``: the worker process's CPU seconds (all its threads, psutil) during
    the task minus the task thread's own ``time.thread_time()``, the largest threads;
  * ``cluster``: the CPU seconds of this process (scheduler, nanny, client) meanwhile;
  * ``task``: the task thread's CPU seconds and its work done per CPU second (the cost
    of GIL hand-overs shows there, not in the aux seconds).

The settings alternate within each repeat so that a varying load hits them alike; the
load is printed. Quote the aux and cluster seconds (CPU, which contention barely
changes), not the work rates, on a loaded machine.

    PYTHONPATH=src python benchmarks/bench_worker_overhead.py [--seconds 15 --repeats 3]
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from typing import Any

from infoplane.sweep._dispatch import QUIET_CLUSTER, WORKER_ENV

BEFORE = {
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.scheduler.work-stealing-interval": "1s",
}
"""QUIET_CLUSTER before the worker's profiler and the memory monitors were slowed."""


def configs(everything: bool) -> dict[str, dict[str, Any]]:
    """The Dask settings compared, by name."""
    found = {"quiet": dict(QUIET_CLUSTER), "quiet-before": dict(BEFORE)}
    if everything:
        found["no-profile"] = {**BEFORE, "distributed.worker.profile.enabled": False}
        found["monitor-1s"] = {**BEFORE,
                               "distributed.worker.memory.monitor-interval": "1s"}
    return found


def busy(seconds: float) -> dict[str, Any]:
    """Run GIL-holding NumPy and Python work for ``seconds`` of wall clock in this
    (worker) thread; the CPU seconds of this thread and of this process's others."""
    import threading

    import numpy as np
    import psutil

    proc = psutil.Process()
    names = {t.native_id: t.name for t in threading.enumerate()}

    def per_thread() -> dict[int, float]:
        return {t.id: t.user_time + t.system_time for t in proc.threads()}

    me = threading.get_native_id()
    threads0, cpu0 = per_thread(), sum(proc.cpu_times()[:2])
    task0, wall0 = time.thread_time(), time.perf_counter()
    values = np.random.default_rng(0).random(256)
    rounds = 0
    while time.perf_counter() - wall0 < seconds:
        for _ in range(100):
            values = np.tanh(values * 1.0001) + 0.001
            total = 0.0
            for x in range(40):
                total += x * 0.5
        rounds += 1
    task, wall = time.thread_time() - task0, time.perf_counter() - wall0
    cpu = sum(proc.cpu_times()[:2]) - cpu0
    threads1 = per_thread()
    names.update({t.native_id: t.name for t in threading.enumerate()})
    others = {f"{names.get(tid, '?')}[{tid}]": spent - threads0.get(tid, 0.0)
              for tid, spent in threads1.items() if tid != me}
    return {"task": task, "wall": wall, "rounds": rounds, "aux": cpu - task,
            "threads": dict(sorted(others.items(), key=lambda kv: -kv[1])[:4])}


def measure(settings: dict[str, Any], seconds: float) -> dict[str, Any]:
    """One LocalCluster of one one-thread worker under ``settings``: ``busy`` once
    briefly (imports, settling), then measured, with this process's CPU meanwhile."""
    import dask
    import psutil
    from distributed import Client, LocalCluster

    me = psutil.Process()
    with dask.config.set(settings):
        cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address="127.0.0.1:0",
                               silence_logs=logging.ERROR, env=WORKER_ENV)
        with cluster, Client(cluster) as client:
            client.submit(busy, 1.0, pure=False).result()
            time.sleep(1.0)
            cpu0 = sum(me.cpu_times()[:2])
            result = client.submit(busy, seconds, pure=False).result()
            result["cluster"] = sum(me.cpu_times()[:2]) - cpu0
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--all", action="store_true",
                        help="also the settings before, and each addition alone")
    args = parser.parse_args()
    chosen = configs(args.all)
    print(f"load before: {os.getloadavg()}; {os.cpu_count()} cores; "
          f"task {args.seconds:g} s of wall clock")
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in chosen}
    for repeat in range(args.repeats):
        for name, settings in chosen.items():
            r = measure(settings, args.seconds)
            results[name].append(r)
            top = ", ".join(f"{k} {v:.2f}" for k, v in r["threads"].items())
            print(f"[{repeat}] {name:13s} worker aux {r['aux']:.2f} s, cluster "
                  f"{r['cluster']:.2f} s, task {r['task']:.2f} s CPU of {r['wall']:.2f} s, "
                  f"{r['rounds'] / r['task']:.1f} rounds/CPU s; threads: {top}",
                  flush=True)
    print(f"load after: {os.getloadavg()}")
    print("mean CPU s per task of 15 s wall (worker aux + cluster = taken beside it):")
    for name, runs in results.items():
        scale = [15.0 / r["wall"] for r in runs]
        aux = [r["aux"] * s for r, s in zip(runs, scale, strict=True)]
        cluster = [r["cluster"] * s for r, s in zip(runs, scale, strict=True)]
        rate = [r["rounds"] / r["task"] for r in runs]
        print(f"  {name:13s} worker aux {sum(aux) / len(aux):.2f} "
              f"({min(aux):.2f}-{max(aux):.2f}), cluster {sum(cluster) / len(cluster):.2f} "
              f"({min(cluster):.2f}-{max(cluster):.2f}), total "
              f"{(sum(aux) + sum(cluster)) / len(aux):.2f}; task "
              f"{sum(rate) / len(rate):.1f} rounds/CPU s")


if __name__ == "__main__":
    main()
