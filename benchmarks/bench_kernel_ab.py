"""The training kernel of another commit against this checkout's, interleaved in one process.

Loads ``src/infoplane/nets/_kernel.py`` as of ``--old`` (a git revision) beside the
current one and trains the paper preset's network with each in turn, same data,
same initial state, ``--rounds`` times; prints each round's seconds per epoch, the
new/old ratios and their median, and whether the two give the same weights. Old and
new alternate so that a change in the machine's load hits both alike.

    python benchmarks/bench_kernel_ab.py [--old HEAD~1] [--seeds 50] [--epochs 5] [--rounds 5]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

import numpy as np

from infoplane.config import RunConfig
from infoplane.datasets import tishby12
from infoplane.nets import _kernel
from infoplane.nets.activations import activation_code
from infoplane.nets.ensemble import ADAM_BETAS, ADAM_EPS, make_setup


def load_old(rev: str) -> ModuleType:
    """``_kernel.py`` at ``rev``, imported as the module ``_kernel_old``; kept in a folder
    of the temporary directory named by the commit, so its numba cache outlives the run."""
    root = Path(__file__).parents[1]
    git = ["git", "-C", str(root)]
    sha = subprocess.run([*git, "rev-parse", rev], check=True, capture_output=True,
                         text=True).stdout.strip()
    path = Path(tempfile.gettempdir()) / f"infoplane-kernel-{sha[:12]}" / "_kernel_old.py"
    if not path.exists():  # rewriting it would invalidate its numba cache
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(subprocess.run([*git, "show", f"{sha}:src/infoplane/nets/_kernel.py"],
                                       check=True, capture_output=True, text=True).stdout)
    return import_file("_kernel_old", path)


def import_file(name: str, path: Path) -> ModuleType:
    """The Python file ``path`` imported as the module ``name``, registered in
    ``sys.modules`` as an import would."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def trainer(kernel: ModuleType, config: RunConfig, activation: str):
    data = tishby12()
    setup = make_setup(config, data)
    X = np.ascontiguousarray(data.X, dtype=np.float32)
    y = np.ascontiguousarray(data.y, dtype=np.int64)
    sizes = np.array(setup.layout.sizes, dtype=np.int64)
    state = {"params": setup.params.copy(), "m": np.zeros_like(setup.params),
             "v": np.zeros_like(setup.params), "steps": np.zeros(len(setup.seeds), np.int64),
             "states": setup.order_states.copy()}

    def train(epochs: int) -> float:
        stats = np.zeros((epochs, len(setup.seeds), setup.layout.n_layers, 3))
        start = time.perf_counter()
        kernel.train_epochs(
            state["params"], state["m"], state["v"], state["steps"], state["states"], X, y,
            setup.train_idx, sizes, setup.layout.off_w, setup.layout.off_b,
            activation_code(activation), setup.batch_size, epochs, kernel.ADAM, config.lr,
            ADAM_BETAS[0], ADAM_BETAS[1], ADAM_EPS, 0.0, 0.0, stats)
        return time.perf_counter() - start

    return train, state


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", default="HEAD~1")
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--activation", default="tanh")
    args = parser.parse_args()
    config = RunConfig(seeds=args.seeds)
    runs = {name: trainer(k, config, args.activation) for name, k in
            (("old", load_old(args.old)), ("new", _kernel))}
    for train, _ in runs.values():
        train(1)  # compile or load, warm up
    ratios = []
    for r in range(args.rounds):
        order = ("old", "new") if r % 2 == 0 else ("new", "old")
        t = {name: runs[name][0](args.epochs) / args.epochs for name in order}
        ratios.append(t["new"] / t["old"])
        print(f"round {r}: old {t['old'] * 1e3:7.1f} ms/epoch, new {t['new'] * 1e3:7.1f} "
              f"ms/epoch, new/old {ratios[-1]:.3f}")
    same = np.abs(runs["old"][1]["params"] - runs["new"][1]["params"]).max()
    print(f"{args.seeds} seeds, {args.activation}: new/old median {statistics.median(ratios):.3f} "
          f"(min {min(ratios):.3f}, max {max(ratios):.3f}); max |weight difference| {same:.2e}; "
          f"load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
