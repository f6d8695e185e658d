"""Scaling on Dask: ``reproduce`` (or a sweep) with --workers 1, 2 (and 0 for reference).

Default: the runs of ``infoplane reproduce`` at a reduced scale (``FULL`` with fewer
seeds, epochs and logged epochs, as ``infoplane reproduce --seeds S --epochs E ...``
makes them: 11 runs, binning, the IB bound's run, the kde/noisy critique, figures and
the GIF), through :func:`infoplane.reproduce.reproduce`, one mode after the other, each
into a fresh directory:
  * ``--workers 1``: a LocalCluster of one worker process, one thread;
  * ``--workers 2``: two worker processes, one thread each (target: >= 1.7x the above
    on 2 free cores);
  * ``--workers 0``: in this process, the compiled kernels on every core (reference).
``--grid`` times instead a sweep of 6 runs (tanh and ReLU at the paper's three
training-set sizes, binning and kde) through :func:`infoplane.sweep.sweep`.

Each cluster is started once and its workers warmed (imports, compiled kernels) before
the clock (for ``--workers 0`` this process is warmed the same way); that start-up is
printed apart, and the ratio is given with and without it. ``reproduce`` prints its
two stages apart: the runs (which Dask spreads) and the report after them (measuring,
figures, the GIF, index.html: always in this process, serial), with the ratio of each.
The numbers mean something only on an otherwise idle machine: the load is printed.
Because other jobs may share the cores, each mode also prints CPU accounting that the
load does not distort: the CPU seconds its worker processes spent (psutil), the seconds
each worker spent in tasks (Dask's task stream), and their quotient (the share of a core
a worker got while running tasks; near 1 when its core was free), this process's CPU
seconds, and the tail: how long one worker went on alone after the other ran out of
tasks (with the longest tasks). Equal CPU seconds in all modes mean the work did not
grow; a share well under 1 means the wall-clock ratio measured contention.

    PYTHONPATH=src python benchmarks/bench_sweep.py [--seeds 10 --epochs 3000 ...]

The default reduced scale (10 seeds x 3000 epochs, ~40 logged epochs; the kde/noisy
critique on the same 10 seeds at 7 logged epochs, as at full scale) keeps the full
report's shape (11 runs of a few seconds to a minute each, the critique the biggest,
the IB run next) and takes a few minutes per mode on 2 idle cores.
    PYTHONPATH=src python benchmarks/bench_sweep.py --grid [--epochs 2000 --seeds 10]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from infoplane.sweep._dispatch import connect, warm_up


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", action="store_true",
                        help="time a 6-run sweep instead of reproduce")
    parser.add_argument("--epochs", type=int, default=None,
                        help="training epochs (reproduce: 3000, --grid: 2000)")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--log-epochs", type=int, default=None,
                        help="about how many logged epochs (reproduce: 40, --grid: 40)")
    parser.add_argument("--critique-seeds", type=int, default=None,
                        help="reproduce: seeds of the kde/noisy critique (default: --seeds)")
    parser.add_argument("--critique-log-epochs", type=int, default=6,
                        help="reproduce: logged epochs of the critique, as at full scale")
    parser.add_argument("--estimators", default="binning,kde", help="--grid: estimators")
    parser.add_argument("--modes", default="1,2,0", help="worker counts, in order")
    args = parser.parse_args()
    modes = [int(w) for w in args.modes.split(",")]
    if args.grid:
        job = _grid(args)
    else:
        job = _reproduce(args)
    print(f"load average before: {_load()}")
    seconds, startup, stages = {}, {}, {}
    for workers in modes:
        with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
            start = time.perf_counter()
            with connect(workers, None) as client:  # cluster + warm workers, not timed
                if client is None:
                    warm_up()  # the same imports and kernels, in this process
                startup[workers] = time.perf_counter() - start
                cpu_before, own_before = _worker_cpu(client), _own_cpu()
                start = time.perf_counter()
                with _task_stream(client) as stream:
                    stages[workers] = job(Path(tmp), client, workers)
                seconds[workers] = time.perf_counter() - start
                own = _own_cpu() - own_before
                cpu = {w: c - cpu_before.get(w, 0.0) for w, c in _worker_cpu(client).items()}
        split = "".join(f", {k} {v:.1f} s" for k, v in stages[workers].items())
        print(f"--workers {workers}: {seconds[workers]:7.1f} s{split} "
              f"(+ {startup[workers]:.1f} s cluster start-up and warm-up); load {_load()}")
        print(f"    this process: {own:7.1f} CPU s")
        if client is not None:
            busy = _busy(stream)
            for w in sorted(cpu):
                b = busy.get(w, 0.0)
                print(f"    worker {w}: {cpu[w]:7.1f} CPU s, {b:7.1f} s in tasks "
                      f"({_count(stream, w)} tasks), core share {cpu[w] / max(b, 1e-9):.2f}")
            print(f"    all workers: {sum(cpu.values()):7.1f} CPU s; {_tail(stream)}")
    _ratios(seconds, startup, stages)


def _grid(args: argparse.Namespace) -> Callable[[Path, Any, int], dict[str, float]]:
    """The 6-run sweep (tanh and ReLU at three training-set sizes)."""
    from infoplane.sweep import make_plan, sweep

    epochs = args.epochs or 2000
    log_epochs = args.log_epochs or 40
    plan = make_plan({
        "base": {"epochs": epochs, "seeds": args.seeds, "log_epochs": log_epochs,
                 "estimators": args.estimators.split(",")},
        "grid": {"activation": ["tanh", "relu"], "train_fraction": [0.05, 0.45, 0.85]},
    })
    print(f"sweep: {len(plan.points)} runs x {args.seeds} seeds x {epochs} epochs, "
          f"~{log_epochs} logged epochs, estimators {args.estimators}")

    def job(out: Path, client: Any, workers: int) -> dict[str, float]:
        result = sweep(plan, out, client=client, workers=workers, quiet=True, plots=False)
        assert not result.failures, result.failures
        return {}

    return job


def _reproduce(args: argparse.Namespace) -> Callable[[Path, Any, int], dict[str, float]]:
    """``reproduce`` at FULL's settings with the sizes given."""
    from infoplane.reproduce import FULL, reproduce
    from infoplane.reproduce._plan import estimated_seconds, make_plan

    scale = FULL.override(
        seeds=args.seeds, epochs=args.epochs or 3000, log_epochs=args.log_epochs or 40,
        critique_seeds=args.critique_seeds or args.seeds,
        critique_log_epochs=args.critique_log_epochs,
    )
    plan = make_plan(scale)
    costs = {s.key: estimated_seconds(s, plots=scale.run_plots) for s in plan.runs}
    print(f"reproduce: {len(plan.runs)} runs x {scale.seeds} seeds x {scale.epochs} epochs, "
          f"~{scale.log_epochs} logged epochs; critique {scale.critique_seeds} seeds at "
          f"~{scale.critique_log_epochs} logged epochs; {scale.gif_frames} GIF frames")
    print("    estimated seconds by run (infoplane.sweep._cost): " + ", ".join(
        f"{k} {v:.0f}" for k, v in sorted(costs.items(), key=lambda kv: -kv[1])))

    def job(out: Path, client: Any, workers: int) -> dict[str, float]:
        result = reproduce(out, scale=scale, workers=workers, client=client, quiet=True)
        return dict(result.stage_seconds)

    return job


def _ratios(
    seconds: dict[int, float], startup: dict[int, float], stages: dict[int, dict[str, float]]
) -> None:
    for a, b in ((1, 2), (0, 2)):
        if a not in seconds or b not in seconds:
            continue
        each = "".join(
            f", {k} {stages[a][k] / stages[b][k]:.2f}x" for k in stages[a]
            if k in stages[b] and stages[b][k] > 0
        )
        print(f"--workers {b} over --workers {a}: {seconds[a] / seconds[b]:.2f}x"
              f"{each} ({(seconds[a] + startup[a]) / (seconds[b] + startup[b]):.2f}x "
              "with start-up)")


def _worker_cpu(client: Any) -> dict[str, float]:
    """CPU seconds (user + system) each worker process has spent so far, by address."""
    if client is None:
        return {}
    return client.run(_own_cpu)


def _own_cpu() -> float:
    """CPU seconds (user + system) this process has spent so far, all threads."""
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


def _tail(stream: Any, longest: int = 3) -> str:
    """How long the last worker ran on after the first had finished its last task, and
    the longest tasks (seconds, key without the directory hash)."""
    ends: dict[str, float] = {}
    spans = []
    for task in stream.data:
        for part in task["startstops"]:
            if part["action"] == "compute":
                ends[task["worker"]] = max(ends.get(task["worker"], 0.0), part["stop"])
                spans.append((part["stop"] - part["start"], str(task["key"])))
    if not ends:
        return "no tasks"
    tail = max(ends.values()) - min(ends.values())
    top = ", ".join(f"{d:.1f} s {_short(k)}" for d, k in sorted(spans, reverse=True)[:longest])
    return f"tail {tail:.1f} s; longest tasks {top}"


def _short(key: str) -> str:
    """A task key without its prefix and directory hash."""
    words = key.removeprefix("infoplane-").split("-")
    return "-".join(w for w in words if not (len(w) == 8 and all(
        c in "0123456789abcdef" for c in w)))


def _count(stream: Any, worker: str) -> int:
    return sum(task["worker"] == worker for task in stream.data)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
