"""Why the CPU kernel has its own tanh: elementwise tanh throughput, in one run.

Times, on one step's worth of hidden units of the paper preset (50 seeds x 512
samples x 31 units), libm's tanh called from numba, PyTorch's ``torch.tanh``, and the
kernel's rational tanh (``infoplane.nets._kernel.fast_tanh_array``), and prints the
largest error of each against float64 NumPy.

    python benchmarks/bench_tanh.py
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
from numba import njit

from infoplane.nets._kernel import fast_tanh_array


@njit(cache=True)
def libm_tanh(x):
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = math.tanh(x[i])
    return out


def best_of(fn, x, repeats: int = 30) -> float:
    fn(x)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(x)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    x = (np.random.default_rng(0).standard_normal(50 * 512 * 31) * 3).astype(np.float32)
    exact = np.tanh(x.astype(np.float64))
    xt = torch.from_numpy(x)
    rows = [
        ("numba + libm math.tanh", lambda a: libm_tanh(a), x),
        ("torch.tanh", lambda a: torch.tanh(a).numpy(), xt),
        ("infoplane rational tanh", lambda a: fast_tanh_array(a), x),
    ]
    base = None
    print(f"{x.size} float32 values; best of 30")
    print(f"{'implementation':28s} {'ms':>8s} {'ns/value':>9s} {'speed-up':>9s} {'max error':>10s}")
    for name, fn, arg in rows:
        seconds = best_of(fn, arg)
        base = base or seconds
        error = np.abs(np.asarray(fn(arg), dtype=np.float64) - exact).max()
        print(f"{name:28s} {seconds * 1e3:8.3f} {seconds / x.size * 1e9:9.2f} "
              f"{base / seconds:8.1f}x {error:10.1e}")


if __name__ == "__main__":
    main()
