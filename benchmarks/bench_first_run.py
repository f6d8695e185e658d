"""The first run's compilation: ``infoplane run`` with an empty numba cache, then warm.

Each repetition points ``NUMBA_CACHE_DIR`` at a fresh, empty folder, runs the
command once (cold: numba compiles every kernel the run calls and caches it) and
again with the same folder (warm: the kernels load from the cache). Prints both
wall times and their difference, the first run's extra wait (issue 15: within 10 s).
``--src`` runs another checkout's ``src`` (e.g. an older commit exported with
``git archive``) to compare before and after under the same load.

    python benchmarks/bench_first_run.py [--reps 1] [--src DIR] [-- RUN FLAGS ...]

The run flags default to ``--epochs 200``; pass ``--`` alone for the paper preset.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed_run(src: Path, cache: str, out: str, flags: list[str]) -> float:
    env = {**os.environ, "PYTHONPATH": str(src), "NUMBA_CACHE_DIR": cache}
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "infoplane.cli", "run", *flags, "--out", out,
         "--overwrite", "--quiet"],
        env=env, check=True,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--src", type=Path, default=Path(__file__).parents[1] / "src")
    parser.add_argument("flags", nargs="*", help="flags for infoplane run (after --)")
    args = parser.parse_args()
    flags = args.flags if "--" in sys.argv else ["--epochs", "200"]
    cold, warm = [], []
    for _ in range(args.reps):
        with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as out:
            cold.append(timed_run(args.src, cache, out + "/run", flags))
            warm.append(timed_run(args.src, cache, out + "/run", flags))
    print(f"src {args.src}; infoplane run {' '.join(flags) or '(paper preset)'}")
    print(f"cold (empty cache) {statistics.median(cold):6.1f} s  {[round(t, 1) for t in cold]}")
    print(f"warm (same cache)  {statistics.median(warm):6.1f} s  {[round(t, 1) for t in warm]}")
    print(f"first run's extra  {statistics.median(cold) - statistics.median(warm):6.1f} s")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
