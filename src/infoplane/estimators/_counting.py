"""Compiled kernels for the binning estimators: bin, pack, count, in one pass per row.

Rows (one layer of one seed at one epoch) are independent and run in parallel.
Patterns are counted in an open-addressing hash table, O(n) per row instead of
the O(n log n) of sorting.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

_JIT = {"fastmath": False, "error_model": "numpy", "cache": True}
_EMPTY = np.int64(-1)
_MIX = np.uint64(0x9E3779B97F4A7C15)


@njit(parallel=True, **_JIT)
def binned_codes(T, low, width, n_bins):
    """Bin each unit of T (rows, n, units) into ``n_bins[r]`` bins of width ``width[r]``
    from ``low[r]``, and pack each sample's bin indices into one int64 (base n_bins).
    The bin of t is floor((t - low) * (1 / width)), as in :func:`binning.bin_indices`.

    Values outside the range go to the end bins; a zero width puts all in bin 0.
    The caller ensures that n_bins ** units < 2**62.
    """
    rows, n, units = T.shape
    codes = np.zeros((rows, n), dtype=np.int64)
    for r in prange(rows):
        nb = n_bins[r]
        if width[r] <= 0:
            continue
        scale = 1.0 / width[r]
        for i in range(n):
            code = np.int64(0)
            for u in range(units):
                k = np.int64(math.floor((T[r, i, u] - low[r]) * scale))
                code = code * nb + min(max(k, 0), nb - 1)
            codes[r, i] = code
    return codes


@njit(parallel=True, **_JIT)
def code_entropies(codes, y, n_labels):
    """H(T) and H(T,Y) in bits per row of ``codes`` (rows, n), n equally likely samples.

    One pass per row: a hash table keyed by pattern code holds a count per label.
    """
    rows, n = codes.shape
    size, shift = 2, 63
    while size < 2 * n:
        size *= 2
        shift -= 1
    mask = size - 1
    h_t = np.empty(rows)
    h_ty = np.empty(rows)
    log_n = math.log2(n)
    for r in prange(rows):
        table = np.full(size, _EMPTY, dtype=np.int64)
        counts = np.zeros((size, n_labels), dtype=np.int32)
        for i in range(n):
            key = codes[r, i]
            h = np.int64((np.uint64(key) * _MIX) >> np.uint64(shift))
            while table[h] != _EMPTY and table[h] != key:
                h = (h + 1) & mask
            table[h] = key
            counts[h, y[i]] += 1
        sum_t = 0.0
        sum_ty = 0.0
        for h in range(size):
            if table[h] == _EMPTY:
                continue
            total = 0
            for c in counts[h]:
                total += c
                if c > 1:
                    sum_ty += c * math.log2(c)
            if total > 1:
                sum_t += total * math.log2(total)
        h_t[r] = log_n - sum_t / n
        h_ty[r] = log_n - sum_ty / n
    return h_t, h_ty
