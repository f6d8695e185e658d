"""Every numba compilation of an ``infoplane run`` with an empty cache, then of a warm one.

Runs the command in a child process with ``NUMBA_CACHE_DIR`` pointing at a fresh,
empty folder (cold), then again with the same folder (warm: the kernels should load
from the cache and nothing compile), listening to numba's events. For each compiled
function it prints the signatures compiled, the CPU seconds of the compiling thread
(``time.thread_time``: far less moved by other jobs on a shared machine than wall
time) inclusive of the compilations nested in it and exclusive of them (its own
typing, lowering and LLVM work), and the part of the exclusive time spent inside
LLVM (numba's ``numba:llvm_lock`` events: optimisation and machine code).
``--passes`` adds, per compiler pass, the exclusive seconds summed over all
compilations (LLVM's share of each); ``--profile FILE`` keeps a cProfile of the cold
run, ``--json FILE`` its events.

    python benchmarks/bench_compile.py [--passes] [--profile FILE] [--src DIR] [-- RUN FLAGS]

The run flags default to ``--epochs 20`` (a small run, so that compiling dominates).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any


class _Recorder:
    """Compile, pass and LLVM events into a flat list of finished frames (child side)."""

    def __init__(self) -> None:
        self.stack: list[dict[str, Any]] = []
        self.done: list[dict[str, Any]] = []
        self.llvm_outside = 0.0
        self._llvm_start = 0.0

    def compile_start(self, ev: Any) -> None:
        d = ev.data["dispatcher"]
        name = f"{d.py_func.__module__}.{d.py_func.__qualname__}"
        self._push("compile", name, str(tuple(ev.data["args"])))

    def pass_start(self, ev: Any) -> None:
        self._push("pass", ev.data["name"].split(" [")[0], ev.data["qualname"])

    def _push(self, kind: str, name: str, detail: str) -> None:
        self.stack.append({"kind": kind, "name": name, "detail": detail,
                           "start": time.thread_time(), "nested": 0.0, "llvm": 0.0})

    def end(self, ev: Any) -> None:
        frame = self.stack.pop()
        frame["incl"] = time.thread_time() - frame.pop("start")
        frame["excl"] = frame["incl"] - frame["nested"]
        if frame["kind"] == "compile":  # net out of the frames up to the enclosing compile
            for outer in reversed(self.stack):
                outer["nested"] += frame["incl"]
                if outer["kind"] == "compile":
                    break
        self.done.append(frame)

    def llvm_start(self, ev: Any) -> None:
        self._llvm_start = time.thread_time()

    def llvm_end(self, ev: Any) -> None:
        dt = time.thread_time() - self._llvm_start
        if not self.stack:
            self.llvm_outside += dt
            return
        top = self.stack[-1]
        top["llvm"] += dt
        if top["kind"] == "pass":  # the enclosing compile's LLVM share too
            for outer in reversed(self.stack[:-1]):
                if outer["kind"] == "compile":
                    outer["llvm"] += dt
                    break


def child(out: str, flags: list[str], profile: str | None) -> None:
    """Run ``infoplane run FLAGS`` in this process, recording numba's events into ``out``."""
    from numba.core import event

    from infoplane.cli import main

    rec = _Recorder()

    def listener(on_start: Any, on_end: Any) -> event.Listener:
        class _L(event.Listener):
            def on_start(self, ev: Any) -> None:
                on_start(ev)

            def on_end(self, ev: Any) -> None:
                on_end(ev)
        return _L()

    event.register("numba:compile", listener(rec.compile_start, rec.end))
    event.register("numba:run_pass", listener(rec.pass_start, rec.end))
    event.register("numba:llvm_lock", listener(rec.llvm_start, rec.llvm_end))
    collecting = {"s": 0.0, "n": 0, "start": 0.0, "compiling_s": 0.0}

    def on_collection(phase: str, info: dict[str, int]) -> None:  # the collector's own time
        if phase == "start":
            collecting["start"] = time.thread_time()
        else:
            dt = time.thread_time() - collecting["start"]
            collecting["s"] += dt
            collecting["n"] += 1
            if rec.stack:
                collecting["compiling_s"] += dt

    gc.callbacks.append(on_collection)
    start = time.perf_counter()
    if profile:
        import cProfile
        cProfile.runctx("main(['run', *flags])", globals(), locals(), profile)
    else:
        main(["run", *flags])
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB (Linux: KiB)
    Path(out).write_text(json.dumps({"frames": rec.done, "wall": wall, "peak_mib": peak,
                                     "gc_s": collecting["s"], "gc_n": collecting["n"],
                                     "gc_compiling_s": collecting["compiling_s"],
                                     "llvm_outside": rec.llvm_outside}))


def run_child(src: Path, cache: str, flags: list[str], profile: str | None) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{Path(__file__).parent}",
               "NUMBA_CACHE_DIR": cache}
        code = ("import sys, json, bench_compile; "
                "bench_compile.child(sys.argv[1], json.loads(sys.argv[2]), sys.argv[3] or None)")
        subprocess.run([sys.executable, "-c", code, f.name, json.dumps(flags), profile or ""],
                       env=env, check=True)
        return json.loads(Path(f.name).read_text())


def report(label: str, result: dict[str, Any], passes: bool) -> None:
    frames = [f for f in result["frames"] if f["kind"] == "compile"]
    by_name: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"sigs": [], "incl": 0.0, "excl": 0.0, "llvm": 0.0})
    for f in frames:
        row = by_name[f["name"]]
        row["sigs"].append(f["detail"])
        row["excl"] += f["excl"]
        row["llvm"] += f["llvm"]
        row["incl"] += f["incl"]  # nested recompiles of one function do not occur
    total = sum(f["excl"] for f in frames)
    print(f"\n{label}: wall {result['wall']:.1f} s, {len(frames)} compilations, "
          f"{total:.1f} CPU s compiling (LLVM {sum(f['llvm'] for f in frames):.1f} s), "
          f"LLVM outside compilations {result['llvm_outside']:.2f} s, "
          f"peak memory {result['peak_mib']:.0f} MiB; garbage collections "
          f"{result['gc_n']} taking {result['gc_s']:.1f} CPU s, "
          f"{result.get('gc_compiling_s', 0.0):.1f} s of them while compiling")
    if not frames:
        return
    print(f"{'function':58s} {'sigs':>4s} {'incl s':>7s} {'excl s':>7s} {'LLVM s':>7s}  (CPU)")
    for name, row in sorted(by_name.items(), key=lambda kv: -kv[1]["excl"]):
        short = name.removeprefix("infoplane.")
        print(f"{short[:58]:58s} {len(row['sigs']):4d} {row['incl']:7.2f} {row['excl']:7.2f} "
              f"{row['llvm']:7.2f}")
        if len(row["sigs"]) > 1:
            for sig in row["sigs"]:
                print(f"    {sig[:150]}")
    if passes:
        by_pass: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for f in result["frames"]:
            if f["kind"] == "pass":
                by_pass[f["name"]][0] += f["excl"]
                by_pass[f["name"]][1] += f["llvm"]
        print(f"\n{'compiler pass (all compilations)':58s} {'excl s':>7s} {'LLVM s':>7s}")
        for name, (excl, llvm) in sorted(by_pass.items(), key=lambda kv: -kv[1][0])[:15]:
            print(f"{name[:58]:58s} {excl:7.2f} {llvm:7.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=Path(__file__).parents[1] / "src")
    parser.add_argument("--passes", action="store_true")
    parser.add_argument("--profile", help="write a cProfile of the cold run here")
    parser.add_argument("--no-warm", action="store_true", help="skip the warm run")
    parser.add_argument("--json", help="write the cold run's events here")
    parser.add_argument("flags", nargs="*", help="flags for infoplane run (after --)")
    args = parser.parse_args()
    flags = args.flags if "--" in sys.argv else ["--epochs", "20"]
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as out:
        flags = [*flags, "--out", out + "/run", "--overwrite", "--quiet"]
        print(f"src {args.src}; infoplane run {' '.join(flags)}; load before "
              f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
        cold = run_child(args.src, cache, flags, args.profile)
        if args.json:
            Path(args.json).write_text(json.dumps(cold))
        report("cold (empty cache)", cold, args.passes)
        if not args.no_warm:
            report("warm (same cache)", run_child(args.src, cache, flags, None), args.passes)
    print(f"\nload after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
