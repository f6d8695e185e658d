"""Cost per information point of every registered estimator; kde / noisy against
plain NumPy versions of the same formulas, and knn on one core against all cores,
measured in the same run.

    python benchmarks/bench_estimators.py [--samples 4096] [--units 10] [--repeats 3]

Data: the 2**12 binary input patterns (as in Shwartz-Ziv & Tishby) when --samples is
4096, else random binary inputs; a tanh layer T = tanh(X W) of --units units; binary
labels. Times in the first table are the median of --repeats runs (seconds per call,
one call = one layer at one epoch = one information point). The ``many/point`` column
divides one ``Estimator.many`` call on a stack of --stack layers by --stack.

In the comparisons the two versions run back to back, --repeats times in turn, and
each keeps its best time, so that the ratio holds on a machine shared with other work.
``diff bits`` is |ixt - ixt of the float64 formula| (kde: the plain formula; noisy:
``noisy._reference``, the plain formula on the same draws; the plain noisy column uses
other draws, so it differs by Monte Carlo error, about ``stderr``).
Then binning with many labels against 2 labels.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable

import numpy as np
from scipy.spatial.distance import cdist
from scipy.special import logsumexp

from infoplane import available_estimators, estimate_information
from infoplane.estimators import get_estimator, knn, noisy


def make_layer(samples: int, units: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if samples == 4096:
        X = ((np.arange(4096)[:, None] >> np.arange(12)) & 1).astype(np.float64)
    else:
        X = rng.integers(0, 2, (samples, 12)).astype(np.float64)
    T = np.tanh((X - 0.5) @ rng.standard_normal((12, units)))
    y = (X @ rng.standard_normal(12) > 0).astype(np.int64)
    return X, T, y


def median_time(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def best_times(fns: list[Callable[[], object]], repeats: int) -> list[float]:
    """The best of ``repeats`` times of each function, the functions run in turn."""
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def plain_kde(T: np.ndarray, y: np.ndarray, sigma2: float, factor: float) -> tuple[float, float]:
    """Kolchinsky-Tracey bound with a full n x n distance matrix (bits)."""

    def term(A: np.ndarray) -> float:
        d2 = cdist(A, A, "sqeuclidean")
        return float(-np.mean(logsumexp(-d2 / (factor * sigma2), axis=1) - np.log(len(A))))

    h_t = term(T)
    h_t_y = sum(np.mean(y == c) * term(T[y == c]) for c in np.unique(y))
    return h_t / np.log(2), (h_t - h_t_y) / np.log(2)


def plain_noisy(
    T: np.ndarray, y: np.ndarray, sigma: float, n_samples: int, seed: int
) -> tuple[float, float]:
    """h(T+Z) - h(Z) by drawing from the mixture and a full distance matrix (bits)."""
    rng = np.random.default_rng(seed)
    n, d = T.shape
    comps = rng.integers(0, n, n_samples)
    V = T[comps] + sigma * rng.standard_normal((n_samples, d))
    log_norm = 0.5 * d * np.log(2 * np.pi * sigma**2)
    h_z = 0.5 * d * np.log(2 * np.pi * np.e * sigma**2)

    def entropy(V: np.ndarray, centres: np.ndarray) -> float:
        d2 = cdist(V, centres, "sqeuclidean")
        log_p = logsumexp(-d2 / (2 * sigma**2), axis=1) - np.log(len(centres)) - log_norm
        return float(-log_p.mean())

    h = entropy(V, T)
    labels = y[comps]
    h_given_y = sum(np.mean(y == c) * entropy(V[labels == c], T[y == c]) for c in np.unique(y))
    return (h - h_z) / np.log(2), (h - h_given_y) / np.log(2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=4096)
    parser.add_argument("--units", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--stack", type=int, default=8, help="layers per many() call")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    X, T, y = make_layer(args.samples, args.units, args.seed)
    Ts = np.stack([T * (1 + 0.1 * i) for i in range(args.stack)])
    print(f"# {args.samples} samples x {args.units} units, median of {args.repeats}")
    print(f"# {platform.processor() or platform.machine()}, numpy {np.__version__}")
    print(f"{'estimator':<10} {'s/point':>9} {'many/point':>11} {'ixt':>8} {'ity':>7}  options")
    for name in available_estimators():
        estimator = get_estimator(name)
        if name == "knn":  # many seconds a call: timed in its own comparison below
            print(f"{name:<10} {'below':>9} {'-':>11} {'-':>8} {'-':>7}  {estimator.defaults}")
            continue
        est = estimate_information(T, y, name, X=X)
        one = median_time(lambda n=name: estimate_information(T, y, n, X=X), args.repeats)
        many = median_time(
            lambda e=estimator: e.many(Ts, y, X=X, **e.defaults), max(1, args.repeats // 2)
        )
        print(
            f"{name:<10} {one:9.4f} {many / args.stack:11.4f} {est.ixt:8.3f} {est.ity:7.3f}  "
            f"{estimator.defaults}"
        )

    print()
    print("# binning with many labels (labels = sample index mod L): time against 2 labels;")
    print("# the counting grows with n only, so the ratio should stay near 1")
    n_all = T.shape[0]
    base = median_time(lambda: estimate_information(T, np.arange(n_all) % 2), args.repeats)
    for labels in (2, 16, 17, 1000, n_all):
        y_many = np.arange(n_all) % labels
        t = median_time(lambda y_many=y_many: estimate_information(T, y_many), args.repeats)
        print(f"{labels:>6} labels {t:9.4f} s/point  ratio {t / base:5.2f}")

    print()
    print("# same formula: plain NumPy/SciPy (full n x n cdist + logsumexp, float64) vs ours,")
    print(f"# in turn, best of {args.repeats}")
    print(
        f"{'case':<22} {'plain s':>8} {'ours s':>8} {'ratio':>6} {'plain ixt':>10} "
        f"{'ours ixt':>9} {'diff bits':>9} {'stderr':>7}"
    )
    n = T.shape[0]
    for bound, factor in (("upper", 2.0), ("lower", 8.0)):
        plain = plain_kde(T, y, 0.1, factor)[0]
        ours = estimate_information(T, y, "kde", bound=bound, sigma2=0.1).ixt
        t_plain, t_ours = best_times(
            [
                lambda f=factor: plain_kde(T, y, 0.1, f),
                lambda b=bound: estimate_information(T, y, "kde", bound=b, sigma2=0.1),
            ],
            args.repeats,
        )
        print(
            f"{'kde ' + bound:<22} {t_plain:8.3f} {t_ours:8.4f} {t_plain / t_ours:6.1f} "
            f"{plain:10.4f} {ours:9.4f} {abs(ours - plain):9.1e} {'':>7}"
        )
    plain = plain_noisy(T, y, 0.1, n, args.seed)[0]
    est = estimate_information(T, y, "noisy", sigma=0.1, n_samples=n)
    same_draws = noisy._reference(T, y, 0.1, n, 0).ixt
    t_plain, t_ours = best_times(
        [
            lambda: plain_noisy(T, y, 0.1, n, args.seed),
            lambda: estimate_information(T, y, "noisy", sigma=0.1, n_samples=n),
        ],
        args.repeats,
    )
    print(
        f"{f'noisy, {n} draws':<22} {t_plain:8.3f} {t_ours:8.4f} {t_plain / t_ours:6.1f} "
        f"{plain:10.4f} {est.ixt:9.4f} {abs(est.ixt - same_draws):9.1e} {est.ixt_stderr:7.4f}"
    )

    print()
    print("# knn (KSG + Ross, default options): KD-tree queries on 1 thread vs all cores, in turn,")
    print(f"# best of {max(1, args.repeats - 1)} (s/point)")
    workers = knn.WORKERS
    found = {}

    def knn_with(threads: int) -> None:
        knn.WORKERS = threads
        found[threads] = estimate_information(T, y, "knn", X=X)

    try:
        t_one, t_all = best_times(
            [lambda: knn_with(1), lambda: knn_with(-1)], max(1, args.repeats - 1)
        )
    finally:
        knn.WORKERS = workers
    one, every = found[1], found[-1]
    print(f"{'case':<22} {'1 thread s':>10} {'all s':>8} {'ratio':>6} {'ixt':>8} {'ity':>7} "
          f"{'equal':>6}")
    print(
        f"{'knn, k=3':<22} {t_one:10.3f} {t_all:8.3f} {t_one / t_all:6.2f} {every.ixt:8.3f} "
        f"{every.ity:7.3f} {str(one == every):>6}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
