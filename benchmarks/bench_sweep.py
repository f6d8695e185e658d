"""Sweep scaling: the same small sweep with --workers 2, --workers 1 and --workers 0.

Runs, one after the other and each into a fresh directory, a grid of runs like the
reproduction's (tanh and ReLU at the paper's three training-set sizes) through
:func:`infoplane.sweep.sweep`:
  * ``--workers 1``: a LocalCluster of one worker process, one thread;
  * ``--workers 2``: two worker processes, one thread each (target: >= 1.7x the above
    on 2 free cores);
  * ``--workers 0``: in this process, the compiled kernels on every core (reference).
Each time includes starting the cluster (and the workers' imports). The numbers mean
something only on an otherwise idle machine.

    PYTHONPATH=src python benchmarks/bench_sweep.py [--epochs 2000] [--seeds 10]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from infoplane.sweep import make_plan, sweep


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2000)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--log-epochs", type=int, default=40)
    parser.add_argument("--modes", default="2,1,0", help="worker counts, in order")
    args = parser.parse_args()
    plan = make_plan({
        "base": {"epochs": args.epochs, "seeds": args.seeds, "log_epochs": args.log_epochs},
        "grid": {"activation": ["tanh", "relu"], "train_fraction": [0.05, 0.45, 0.85]},
    })
    print(f"{len(plan.points)} runs x {args.seeds} seeds x {args.epochs} epochs, "
          f"~{args.log_epochs} logged epochs")
    seconds = {}
    for workers in (int(w) for w in args.modes.split(",")):
        with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
            start = time.perf_counter()
            result = sweep(plan, Path(tmp), workers=workers, quiet=True, plots=False)
            seconds[workers] = time.perf_counter() - start
            assert not result.failures, result.failures
        print(f"--workers {workers}: {seconds[workers]:7.1f} s")
    if 1 in seconds and 2 in seconds:
        print(f"--workers 2 over --workers 1: {seconds[1] / seconds[2]:.2f}x")


if __name__ == "__main__":
    main()
