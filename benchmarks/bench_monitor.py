"""The monitor's cost: the same model and data trained with and without it, one process.

Saxe et al.'s 784-1024-20-20-20-10 ReLU MLP on MNIST-sized data (MNIST cannot be
downloaded here: ten random prototype images plus noise, pixels in [0, 1]), SGD,
batch 128. Runs, on the same data and seed, in turn (``--repeats`` rounds, best of each):
  * bare: the plain loop;
  * floor: the loop plus one float64 copy of the first layer's gradient per step
    (``buffer.copy_(grad)`` into a preallocated buffer: reading the 784 x 1024 gradient
    once and writing it in float64, less than any float64 accumulation must move);
  * previous gradients: the loop plus the monitor's previous accumulation (a fresh
    float64 copy per step, then ``add_`` and ``addcmul_``) for every watched weight;
  * gradients only: the monitor with no logged epoch (float64 gradient moments);
  * monitored: every epoch logged (``--epochs`` + 1 logged epochs: forward pass over the
    probe set, binning of each watched layer);
and prints seconds and the ratios to the bare loop. Then the binning of one
10000 x 1024 ReLU-like layer (30 bins over its min/max): measure_snapshot, the
estimator now, the previous wide-layer path (bin in NumPy, pack with re-ranking,
count) and np.unique over the rows of bin indices, with their values (all equal).

    python benchmarks/bench_monitor.py [--epochs 30] [--n-train 60000] [--n-probe 10000]
                                       [--repeats 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from infoplane.estimators.binning import (
    _dense_ranks,
    _indices,
    _label_entropy,
    bin_indices,
    binning_information_many,
    entropies_from_codes,
    pattern_codes,
)
from infoplane.measure import measure_snapshot
from infoplane.torch import InformationPlaneMonitor


def mnist_like(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` 784-pixel images in [0, 1] of ten classes: a prototype each, plus noise."""
    g = torch.Generator().manual_seed(seed)
    prototypes = (torch.rand(10, 784, generator=g) < 0.2).float()
    y = torch.randint(0, 10, (n,), generator=g)
    X = (prototypes[y] * 0.8 + 0.3 * torch.rand(n, 784, generator=g)).clamp(0, 1)
    return X, y


def saxe_mlp(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    sizes = (784, 1024, 20, 20, 20)
    layers: list[nn.Module] = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(20, 10))


def train(X: torch.Tensor, y: torch.Tensor, epochs: int, monitor_options: dict | None,
          extra: str = "") -> tuple[float, float, nn.Module]:
    """Wall-clock and CPU seconds (this process) for ``epochs`` epochs of SGD, with the
    monitor if options are given, or with the ``extra`` per-step work ("floor",
    "previous")."""
    model = saxe_mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    gen = torch.Generator().manual_seed(1)
    monitor = None
    if monitor_options is not None:
        monitor = InformationPlaneMonitor(model, **monitor_options)
    weights = [m.weight for m in model if isinstance(m, nn.Linear)]
    buffer = torch.empty_like(weights[0], dtype=torch.float64)
    sums = [(torch.zeros_like(w, dtype=torch.float64), torch.zeros_like(w, dtype=torch.float64))
            for w in weights]
    start, cpu = time.perf_counter(), time.process_time()
    if monitor is not None:
        monitor.__enter__()
    try:
        for epoch in range(epochs):
            for idx in torch.randperm(len(X), generator=gen).split(128):
                loss = F.cross_entropy(model(X[idx]), y[idx])
                opt.zero_grad()
                loss.backward()
                if monitor is not None:
                    monitor.after_backward()
                elif extra == "floor":
                    buffer.copy_(weights[0].grad)
                elif extra == "previous":
                    with torch.no_grad():
                        for w, (total, squares) in zip(weights, sums, strict=True):
                            g = w.grad.to(torch.float64)
                            total.add_(g)
                            squares.addcmul_(g, g)
                opt.step()
            if monitor is not None:
                monitor.end_epoch(epoch + 1)
    finally:
        if monitor is not None:
            monitor.close()
    return time.perf_counter() - start, time.process_time() - cpu, model


def previous_wide_binning(T: np.ndarray, y: np.ndarray, low: float, high: float,
                          bins: int) -> tuple[float, float]:
    """The wide-layer path before the compiled fingerprints: bin in NumPy, pack in
    base ``bins`` with dense re-ranking, count the codes."""
    width = (high - low) / bins
    idx, base = _indices(T, low, width, bins), bins
    if base > T.shape[0]:
        idx, base = _dense_ranks(idx.T).T, T.shape[0]
    h_y, n_labels = _label_entropy(y)
    h_t, h_ty = entropies_from_codes(pattern_codes(idx, base)[None], y, n_labels)
    return float(h_t[0]), float(h_t[0] + h_y - h_ty[0])


def unique_binning(T: np.ndarray, y: np.ndarray, low: float, high: float,
                   bins: int) -> tuple[float, float]:
    """The exact reference: np.unique over the rows of bin indices (and with the label)."""
    idx, _ = bin_indices(T, bins=bins, value_range=(low, high))

    def entropy(rows: np.ndarray) -> float:
        p = np.unique(rows, axis=0, return_counts=True)[1] / len(rows)
        return float(-(p * np.log2(p)).sum())

    h_t = entropy(idx)
    return h_t, h_t + entropy(y[:, None]) - entropy(np.column_stack([idx, y]))


def binning_comparison(n: int = 10000, units: int = 1024, repeats: int = 5) -> None:
    """Best of ``repeats`` of each way to bin one n x units ReLU-like layer; values."""
    rng = np.random.default_rng(0)
    layer = np.maximum(rng.normal(size=(n, units)), 0).astype(np.float32)
    layer[: n // 10] = layer[n // 10 : 2 * (n // 10)]  # some repeated patterns
    y = rng.integers(0, 10, n)
    low, high = float(layer.min()), float(layer.max())
    ways = {
        "measure_snapshot": lambda: tuple(measure_snapshot(
            0, {"h": layer}, y, ["binning"], binning={"h": "epoch"})[["ixt", "ity"]].iloc[0]),
        "estimator": lambda: tuple(float(v[0]) for v in binning_information_many(
            layer[None], y, bins=30, value_range=(low, high))),
        "previous wide path": lambda: previous_wide_binning(layer, y, low, high, 30),
        "np.unique": lambda: unique_binning(layer, y, low, high, 30),
    }
    times = {}
    for name, way in ways.items():
        way()  # compile
        best = np.inf
        for _ in range(repeats if name != "np.unique" else 1):
            start = time.perf_counter()
            values = way()
            best = min(best, time.perf_counter() - start)
        times[name] = best
        print(f"binning {n} x {units}, {name:18s} {best:7.3f} s  "
              f"x{best / times['estimator'] if 'estimator' in times else 1:6.2f}"
              f"   ixt {values[0]:.6f}  ity {values[1]:.6f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30, help="epochs, all logged")
    parser.add_argument("--n-train", type=int, default=60000)
    parser.add_argument("--n-probe", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=2, help="rounds of the runs")
    parser.add_argument("--threads", type=int, default=0,
                        help="torch threads for training (default: torch's)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    X, y = mnist_like(args.n_train)
    probe = (X[: args.n_probe], y[: args.n_probe])
    print(f"{args.n_train} samples, probe {args.n_probe}, {args.epochs} epochs, "
          f"{torch.get_num_threads()} torch threads")
    runs = {
        "bare loop": (None, ""),
        "floor (1 float64 copy)": (None, "floor"),
        "previous gradients": (None, "previous"),
        "gradients only": ({"probe": probe, "schedule": [10**9]}, ""),
        "monitored": ({"probe": probe, "schedule": range(args.epochs + 1)}, ""),
    }
    train(X[:256], y[:256], 1, runs["monitored"][0])  # compile the kernels once
    best = dict.fromkeys(runs, np.inf)
    best_cpu = dict.fromkeys(runs, np.inf)
    models = {}
    for _ in range(args.repeats):  # in turn, so that a change of load hits every run
        for name, (options, extra) in runs.items():
            seconds, cpu, models[name] = train(X, y, args.epochs, options, extra)
            best[name] = min(best[name], seconds)
            best_cpu[name] = min(best_cpu[name], cpu)
    same = all(torch.equal(a, b) for a, b in
               zip(models["bare loop"].parameters(), models["monitored"].parameters(),
                   strict=True))
    print("run                      wall s   / bare    CPU s   / bare  (CPU: robust to load)")
    for name, seconds in best.items():
        cpu = best_cpu[name]
        print(f"{name:24s} {seconds:7.2f}   x{seconds / best['bare loop']:.3f}  {cpu:7.2f}"
              f"   x{cpu / best_cpu['bare loop']:.3f}")
    print(f"({args.epochs + 1} logged epochs; weights identical to bare: {same})")
    binning_comparison()


if __name__ == "__main__":
    main()
