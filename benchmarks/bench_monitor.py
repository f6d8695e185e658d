"""The monitor's cost: the same model and data trained with and without it, one process.

Saxe et al.'s 784-1024-20-20-20-10 ReLU MLP on MNIST-sized data (MNIST cannot be
downloaded here: ten random prototype images plus noise, pixels in [0, 1]), SGD,
batch 128. Runs, on the same data and seed:
  * bare: the plain loop;
  * gradients only: the monitor with no logged epoch (float64 gradient moments);
  * monitored: every epoch logged (``--epochs`` logged epochs: forward pass over the
    probe set, binning of each watched layer);
and prints seconds and the ratios to the bare loop, then the binning time of one
10000 x 1024 layer (measure_snapshot, "epoch" rule, 30 bins).

    python benchmarks/bench_monitor.py [--epochs 30] [--n-train 60000] [--n-probe 10000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

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


def train(X: torch.Tensor, y: torch.Tensor, epochs: int,
          monitor_options: dict | None) -> tuple[float, nn.Module]:
    """Seconds for ``epochs`` epochs of SGD, with the monitor if options are given."""
    model = saxe_mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    gen = torch.Generator().manual_seed(1)
    monitor = None
    if monitor_options is not None:
        monitor = InformationPlaneMonitor(model, **monitor_options)
    start = time.perf_counter()
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
                opt.step()
            if monitor is not None:
                monitor.end_epoch(epoch + 1)
    finally:
        if monitor is not None:
            monitor.close()
    return time.perf_counter() - start, model


def binning_seconds(n: int = 10000, units: int = 1024, repeats: int = 5) -> float:
    """Best of ``repeats`` measure_snapshot calls on one n x units ReLU-like layer."""
    rng = np.random.default_rng(0)
    layer = np.maximum(rng.normal(size=(n, units)), 0).astype(np.float32)
    y = rng.integers(0, 10, n)
    measure_snapshot(0, {"h": layer[:100]}, y[:100], ["binning"], binning={"h": "epoch"})
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        measure_snapshot(0, {"h": layer}, y, ["binning"], binning={"h": "epoch"})
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30, help="epochs, all logged")
    parser.add_argument("--n-train", type=int, default=60000)
    parser.add_argument("--n-probe", type=int, default=10000)
    args = parser.parse_args()

    X, y = mnist_like(args.n_train)
    probe = (X[: args.n_probe], y[: args.n_probe])
    print(f"{args.n_train} samples, probe {args.n_probe}, {args.epochs} epochs, "
          f"{torch.get_num_threads()} torch threads")
    bare, bare_model = train(X, y, args.epochs, None)
    grads, _ = train(X, y, args.epochs, {"probe": probe, "schedule": [10**9]})
    full, model = train(X, y, args.epochs, {"probe": probe, "schedule": range(args.epochs + 1)})
    same = all(torch.equal(a, b) for a, b in
               zip(bare_model.parameters(), model.parameters(), strict=True))
    print(f"bare loop          {bare:8.2f} s")
    print(f"gradients only     {grads:8.2f} s   x{grads / bare:.3f}")
    print(f"monitored          {full:8.2f} s   x{full / bare:.3f}  "
          f"({args.epochs + 1} logged epochs; weights identical to bare: {same})")
    print(f"binning 10000 x 1024: {binning_seconds():.3f} s")


if __name__ == "__main__":
    main()
