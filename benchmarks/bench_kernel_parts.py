"""Where a training epoch's time goes: the kernel with each of its parts left out in turn.

Builds, from this checkout's ``src/infoplane/nets/_kernel.py``, one variant of the
training kernel per part (the minibatch shuffle, the gather of the minibatch's input
rows, the activations and their derivatives, the weight gradients, the input
gradients, the per-minibatch gradient moments) with that part's code removed, and
trains the paper preset's network (tishby12, 12-10-7-5-4-3-2 tanh, Adam, batch 512)
with the kernel and every variant in turn, ``--rounds`` times, alternating the order
so that the machine's load hits all alike. A part's cost is the kernel's median time
per seed-epoch less its variant's; the parts' costs are printed with what each does
per seed-epoch (multiply-adds, tanh values, gathered floats, swaps) and the rate that
gives. A variant computes wrong numbers (its scratch arrays start at zero so nothing
reads uninitialised memory); only its time is used. Times are wall seconds on all
the kernel's threads, per seed-epoch.

    python benchmarks/bench_kernel_parts.py [--seeds 50] [--epochs 5] [--rounds 7]

Fails with a message naming the part if the kernel's source no longer holds the code
a variant removes (update ``PARTS`` then).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path
from types import ModuleType

from bench_kernel_ab import import_file, trainer

from infoplane.config import RunConfig
from infoplane.datasets import tishby12
from infoplane.nets import _kernel
from infoplane.nets.ensemble import make_setup

S = " " * 4
PARTS: dict[str, list[tuple[str, str]]] = {
    "shuffle": [(
        f"{S * 3}states[s] = shuffle_into(order, train_idx[s], states[s])\n",
        f"{S * 3}for i in range(n_train):\n{S * 4}order[i] = train_idx[s, i]\n")],
    "input gather": [(
        f"{S * 4}for i in range(sizes[0]):\n{S * 5}for b in range(bs):\n"
        f"{S * 6}hs[0, i, b] = X[idx[b], i]\n", "")],
    "activations": [
        (f"{S * 6}_activate(act, zs[layer + 1], hs[layer + 1], n_out, bs)\n",
         f"{S * 6}pass\n"),
        (f"{S * 6}_scale_by_derivative(act, zs[layer], hs[layer], spare, n_in, bs)\n",
         f"{S * 6}pass\n")],
    "weight gradients": [(
        f"{S * 5}_weight_grad(g, ow, hs[layer], delta, n_in, n_out, bs)\n", "")],
    "input gradients": [(
        f"{S * 6}_combine(p, ow, n_out, one, delta, spare, n_out, n_in, bs, -one)\n", "")],
    "gradient moments": [(
        f"{S * 4}for q in range(n_params):\n{S * 5}gq = np.float64(g[q])\n"
        f"{S * 5}g_sum[q] += gq\n{S * 5}g_sq[q] += gq * gq\n", "")],
}
ZEROED = [(f"{name} = np.empty(", f"{name} = np.zeros(") for name in ("g", "hs", "zs", "d_b")]


def variant(part: str, source: str) -> ModuleType:
    """The kernel without ``part``, imported from a file of its own (kept between runs
    in the temporary directory, so numba's cache of it survives)."""
    for old, new in [*PARTS[part], *ZEROED]:
        if old not in source:
            sys.exit(f"bench_kernel_parts: _kernel.py no longer has the code of {part!r}: "
                     f"{old.strip()[:60]!r}")
        source = source.replace(old, new)
    name = "_kernel_without_" + part.replace(" ", "_")
    path = Path(tempfile.gettempdir()) / "infoplane-kernel-parts" / f"{name}.py"
    if not path.exists() or path.read_text() != source:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return import_file(name, path)


def work_per_seed_epoch(config: RunConfig) -> dict[str, str]:
    """What each part does in one seed's epoch of ``config`` on tishby12."""
    setup = make_setup(config, tishby12())
    sizes = setup.layout.sizes
    n = setup.train_idx.shape[1]
    pairs = list(zip(sizes[:-1], sizes[1:], strict=True))
    macs = sum(a * b for a, b in pairs)
    return {
        "shuffle": f"{n - 1} swaps",
        "input gather": f"{n * sizes[0]} floats",
        "activations": f"{n * sum(sizes[1:-1])} tanh + derivatives",
        "weight gradients": f"{2 * n * macs / 1e6:.2f} MFLOP",
        "input gradients": f"{2 * n * sum(a * b for a, b in pairs[1:]) / 1e6:.2f} MFLOP",
        "gradient moments": f"{(n + setup.batch_size - 1) // setup.batch_size} x "
                            f"{setup.params.shape[1]} float64 sums",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    config = RunConfig(seeds=args.seeds)
    source = Path(_kernel.__file__).read_text()
    kernels = {"kernel": _kernel} | {part: variant(part, source) for part in PARTS}
    runs = {name: trainer(k, config, "tanh")[0] for name, k in kernels.items()}
    for train in runs.values():
        train(1)  # compile or load, warm up
    names = list(runs)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(args.rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            times[name].append(runs[name](args.epochs) / args.epochs / args.seeds)
    base = statistics.median(times["kernel"])
    work = work_per_seed_epoch(config)
    print(f"paper preset, {args.seeds} seeds, {args.rounds} rounds of {args.epochs} epochs; "
          f"wall microseconds per seed-epoch (median), load {os.getloadavg()[0]:.2f}")
    print(f"{'kernel':18s} {base * 1e6:7.1f}")
    for part in PARTS:
        cost = base - statistics.median(times[part])
        print(f"{part:18s} {cost * 1e6:7.1f}  {cost / base:5.1%}  for {work[part]}")
    print("(a part's cost is the time its removal saves; the compiler lays out the rest "
          "anew in each variant, so the costs need not add up to the kernel's time)")


if __name__ == "__main__":
    main()
