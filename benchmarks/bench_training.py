"""Training throughput: infoplane's ensemble engine against a straightforward loop.

Runs, in one process and on the same data, batch size and epochs:
  * baseline: one ``nn.Sequential`` and one ``torch.optim.Adam`` per seed, the seeds
    trained one after another (the way the original code trained its networks);
  * infoplane's batched PyTorch engine (``TorchEnsemble``, the ``--device cuda`` path);
  * infoplane's compiled CPU engine (``CpuEnsemble``, the default on CPUs).
Prints seconds per seed-epoch and the speed-ups over the baseline, the compiled
kernel's arithmetic (FLOPs and tanh evaluations per epoch, achieved GFLOP/s against
float32 matrix multiplication's in the same process), then the scaling table (time
per seed-epoch against seeds and data set size), and, with --e2e, the wall time of
``infoplane run`` on the paper preset.

    python benchmarks/bench_training.py [--seeds 50] [--epochs 20] [--e2e] [--device cpu]
"""

from __future__ import annotations

import argparse
import math
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

from infoplane.config import RunConfig
from infoplane.datasets import Dataset, tishby12
from infoplane.datasets.tishby12 import all_patterns
from infoplane.nets.ensemble import CpuEnsemble, make_setup
from infoplane.nets.torch_engine import TorchEnsemble


def baseline_loop(config: RunConfig, data: Dataset, epochs: int) -> float:
    """Seconds to train config.seeds networks one after another, plainly."""
    X = torch.as_tensor(data.X)
    y = torch.as_tensor(data.y)
    setup = make_setup(config, data)
    start = time.perf_counter()
    for s in range(config.seeds):
        gen = torch.Generator().manual_seed(s)
        layers: list[torch.nn.Module] = []
        sizes = setup.layout.sizes
        for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            linear = torch.nn.Linear(n_in, n_out)
            std = 1 / math.sqrt(n_in)
            torch.nn.init.trunc_normal_(linear.weight, std=std, a=-2 * std, b=2 * std,
                                        generator=gen)
            torch.nn.init.zeros_(linear.bias)
            layers.append(linear)
            if k < len(sizes) - 2:
                layers.append(torch.nn.Tanh())
        net = torch.nn.Sequential(*layers)
        opt = torch.optim.Adam(net.parameters(), lr=config.lr)
        train = torch.as_tensor(setup.train_idx[s])
        for _ in range(epochs):
            order = train[torch.randperm(train.numel(), generator=gen)]
            for k in range(0, order.numel(), config.batch_size):
                idx = order[k : k + config.batch_size]
                opt.zero_grad()
                loss = torch.nn.functional.cross_entropy(net(X[idx]), y[idx])
                loss.backward()
                opt.step()
    return time.perf_counter() - start


def engine_time(engine_cls, config: RunConfig, data: Dataset, epochs: int) -> float:
    engine = engine_cls(make_setup(config, data), config, data)
    engine.train(1)  # compile / warm up
    start = time.perf_counter()
    engine.train(epochs)
    return time.perf_counter() - start


def kernel_arithmetic(config: RunConfig, data: Dataset) -> tuple[float, float]:
    """(FLOPs, tanh evaluations) per epoch of the training kernel, matrix products only.

    Per training sample and seed: the forward pass does sum(n_in n_out) multiply-adds,
    the weight gradients as many, the input gradients the same less the first layer's;
    2 FLOPs a multiply-add. One tanh per hidden unit and sample.
    """
    sizes = make_setup(config, data).layout.sizes
    pairs = list(zip(sizes[:-1], sizes[1:], strict=True))
    macs = 2 * sum(a * b for a, b in pairs) + sum(a * b for a, b in pairs[1:])
    samples = int(round(config.train_fraction * data.n_samples)) * config.seeds
    return 2.0 * macs * samples, float(sum(sizes[1:-1]) * samples)


def sgemm_gflops(seconds: float = 2.0) -> float:
    """float32 matrix multiplication (torch, all threads, 1024^2) GFLOP/s, best of a few."""
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    best, end = 0.0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        for _ in range(8):
            torch.mm(a, b)
        best = max(best, 8 * 2 * 1024**3 / (time.perf_counter() - start) / 1e9)
    return best


def report_arithmetic(config: RunConfig, data: Dataset, epochs: int) -> None:
    """The CPU kernel's FLOP rate against sgemm's, measured in turn in this process."""
    flops, tanh = kernel_arithmetic(config, data)
    engine = CpuEnsemble(make_setup(config, data), config, data)
    engine.train(1)
    peak = sgemm_gflops()
    wall, cpu = time.perf_counter(), time.process_time()
    engine.train(epochs)
    wall, cpu = (time.perf_counter() - wall) / epochs, (time.process_time() - cpu) / epochs
    peak = max(peak, sgemm_gflops())
    print(f"\nkernel arithmetic, {config.seeds} seeds: {flops / 1e6:.0f} MFLOP (matrix "
          f"products) and {tanh / 1e6:.2f} M tanh per epoch")
    print(f"  {wall * 1e3:.2f} ms/epoch wall, {cpu * 1e3:.2f} ms CPU: "
          f"{flops / wall / 1e9:.1f} GFLOP/s wall, {flops / cpu / 1e9:.1f} per CPU-second; "
          f"sgemm here {peak:.0f} GFLOP/s ({flops / wall / 1e9 / peak:.0%} of it)")


def random_16bit() -> Dataset:
    """All 65536 patterns of 16 binary inputs, random balanced labels (fixed seed)."""
    X = all_patterns(16).astype(np.float32)
    y = np.random.default_rng(0).permutation(np.arange(X.shape[0]) % 2)
    return Dataset("random16", X, y.astype(np.int64), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--e2e", action="store_true", help="also time `infoplane run` (paper)")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, device {args.device}")
    data = tishby12()
    config = RunConfig(seeds=args.seeds, device=args.device)
    seed_epochs = args.seeds * args.epochs

    print(f"\npaper preset network, {args.seeds} seeds x {args.epochs} epochs, batch 512")
    rows = []
    if args.device == "cpu":
        rows.append(("baseline: nn.Sequential + Adam per seed, in a loop",
                     baseline_loop(config, data, args.epochs)))
    rows.append(("infoplane TorchEnsemble (batched torch)",
                 engine_time(TorchEnsemble, config, data, args.epochs)))
    if args.device == "cpu":
        rows.append(("infoplane CpuEnsemble (compiled kernel)",
                     engine_time(CpuEnsemble, config, data, args.epochs)))
    base = rows[0][1]
    print(f"{'engine':55s} {'s/seed-epoch':>13s} {'speed-up':>9s}")
    for name, seconds in rows:
        print(f"{name:55s} {seconds / seed_epochs:13.2e} {base / seconds:8.1f}x")

    if args.device == "cpu":
        report_arithmetic(config, data, args.epochs)

    print("\nscaling (CpuEnsemble on cpu, TorchEnsemble on cuda): time per seed-epoch")
    engine_cls = CpuEnsemble if args.device == "cpu" else TorchEnsemble
    print(f"{'data set':12s} {'samples':>8s} {'seeds':>6s} {'epochs':>7s} {'s/seed-epoch':>13s}")
    for dataset in (data, random_16bit()):
        for seeds in (1, 10, 50, 200):
            epochs = max(2, int(200 * 4096 / dataset.n_samples / seeds))
            cfg = RunConfig(seeds=seeds, device=args.device)
            seconds = engine_time(engine_cls, cfg, dataset, epochs)
            print(f"{dataset.name:12s} {dataset.n_samples:8d} {seeds:6d} {epochs:7d} "
                  f"{seconds / (seeds * epochs):13.2e}")

    if args.e2e:
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            command = [sys.executable, "-m", "infoplane.cli", "run", "--out", out,
                       "--device", args.device]
            done = subprocess.run(
                command, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
            )
            seconds = time.perf_counter() - start
        parts = dict(re.findall(r"(\w+) ([\d.]+) s", done.stdout.split("time:")[1].split("\n")[0]))
        print(f"\nend to end: `infoplane run` (paper preset) {seconds:.1f} s wall")
        print("  " + ", ".join(f"{k} {v} s" for k, v in parts.items()))
        share = float(parts["estimate"]) / seconds
        print(f"  estimating the information: {share:.1%} of the wall time")

if __name__ == "__main__":
    main()
