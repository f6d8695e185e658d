"""Time of the IB curve for 4096 inputs and 2 labels at 200 betas, and of the layer fit.

    python benchmarks/bench_ib.py [--repeats 3] [--n-betas 200]

Cases (p(x) uniform over 4096 inputs, p(y=1|x) = sigmoid(gamma (f(x) - theta))):

- ``50 distinct``: f takes ~50 distinct values, as the tishby12 task does, so the
  exact merge of equal p(y|x) leaves ~50 input classes;
- ``4096 distinct``: f Gaussian, every input its own class (the worst case);
- ``tishby12``: the data set's own soft labels (``--soft-labels 3``).

Baseline, in the same process: one plain IB iteration with |T| = |X| = 4096 over all
4096 inputs (what a solver without the reduction and the adaptive |T| pays per
iteration); the ``x plain`` column is the whole sweep in units of that iteration.
Then the time of ``layers_against_bound`` on 300 binned layers (6 layers x 50 seeds).
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable

import numpy as np
from scipy.special import expit, logsumexp, xlogy

from infoplane.ib import ib_curve_from_conditional, layers_against_bound


def median_time(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), out


def soft_conditional(kind: str, seed: int = 1, gamma: float = 3.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "50 distinct":
        f = rng.integers(0, 50, 4096).astype(np.float64)
    elif kind == "4096 distinct":
        f = rng.standard_normal(4096)
    else:
        from infoplane.datasets import load_dataset

        return np.asarray(load_dataset("tishby12", soft_labels=gamma).p_y_given_x)
    q = expit(gamma * (f - f.mean()) / f.std())
    return np.stack([1 - q, q], axis=1)


def plain_iteration(cond: np.ndarray) -> Callable[[], object]:
    """One IB iteration over all inputs with |T| = |X| (NumPy, log space)."""
    n = cond.shape[0]
    p_x = np.full(n, 1.0 / n)
    enc = np.random.default_rng(0).dirichlet(np.ones(n), size=n)
    neg_h = xlogy(cond, cond).sum(axis=1)

    def step() -> np.ndarray:
        p_t = p_x @ enc
        p_y_t = (enc * p_x[:, None]).T @ cond / p_t[:, None]
        kl = neg_h[:, None] - cond @ np.log(p_y_t).T
        logits = np.log(p_t) - 10.0 * kl
        return np.exp(logits - logsumexp(logits, axis=1, keepdims=True))

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-betas", type=int, default=200)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    cond = soft_conditional("4096 distinct")
    plain, _ = median_time(plain_iteration(cond), args.repeats)
    print(f"baseline: one plain IB iteration, |T| = |X| = 4096: {plain:.3f} s\n")
    header = f"{'case':<15}{'classes':>8}{'time (s)':>10}{'x plain':>9}{'iters':>8}{'|T| max':>8}"
    print(header)
    curves = {}
    for kind in ("50 distinct", "4096 distinct", "tishby12"):
        cond = soft_conditional(kind)
        seconds, curve = median_time(
            lambda c=cond: ib_curve_from_conditional(c, n_betas=args.n_betas), args.repeats
        )
        curves[kind] = (cond, curve)
        classes = np.unique(np.round(cond, 12), axis=0).shape[0]
        print(
            f"{kind:<15}{classes:>8}{seconds:>10.2f}{seconds / plain:>9.1f}"
            f"{int(curve.n_iter.sum()):>8}{int(curve.raw.n_clusters.max()):>8}"
        )
    cond, curve = curves["50 distinct"]
    rng = np.random.default_rng(0)
    rows = []
    for _ in range(50):
        noisy = cond[:, 1] + 0.03 * rng.standard_normal(cond.shape[0])
        for bins in (4096, 400, 60, 12, 5, 3):
            edges = np.quantile(noisy, np.linspace(0, 1, bins + 1)[1:-1])
            rows.append(np.arange(4096) if bins == 4096 else np.digitize(noisy, edges))
    codes = np.stack(rows)
    seconds, _ = median_time(lambda: layers_against_bound(codes, cond, curve), args.repeats)
    print(f"\nlayers_against_bound, {codes.shape[0]} layers of 4096 inputs: {seconds:.2f} s")


if __name__ == "__main__":
    main()
