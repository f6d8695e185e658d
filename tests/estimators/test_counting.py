"""The binning counter's thread split: plug-in entropies, the same for any thread count."""

import numba
import numpy as np

from infoplane.estimators._counting import binned_entropies


def _entropy(keys: np.ndarray) -> float:
    _, counts = np.unique(keys, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum())


def test_binned_entropies_equal_the_two_step_count_for_any_thread_count():
    rng = np.random.default_rng(3)
    rows, n, units = 9, 300, 4
    T = rng.normal(size=(rows, n, units))
    low = np.full(rows, -2.0)
    width = rng.uniform(0.3, 1.5, rows)
    n_bins = np.full(rows, 12, dtype=np.int64)
    y = rng.integers(0, 3, n).astype(np.int64)
    codes = np.zeros((rows, n), dtype=np.int64)
    for u in range(units):  # the packed codes, computed here in numpy
        b = np.clip((T[:, :, u] - low[:, None]) * (1 / width[:, None]), 0, 11).astype(np.int64)
        codes = codes * 12 + b
    h_t = np.array([_entropy(c) for c in codes])  # the plug-in entropies, in numpy
    h_ty = np.array([_entropy(c * 3 + y) for c in codes])
    first = None
    before = numba.get_num_threads()
    try:
        for threads in sorted({1, before}):
            numba.set_num_threads(threads)
            got = binned_entropies(T, low, width, n_bins, y, 3)
            np.testing.assert_allclose(got, (h_t, h_ty), rtol=1e-12)
            first = got if first is None else first
            assert np.array_equal(got, first)  # the same bits whatever the threads
    finally:
        numba.set_num_threads(before)
    assert np.all(h_ty >= h_t) and np.all(h_t > 0)
