"""Compiled kernels for the binning estimators: bin, pack, count, in one pass per row.

Rows (one layer of one seed at one epoch) are independent and run in parallel.
Patterns are counted in an open-addressing hash table, O(n) per row instead of
the O(n log n) of sorting. Rows are dealt to a few blocks (4 per thread) that each
own one table, so a row clears only the slots it used instead of allocating and
scanning a whole table.
"""

from __future__ import annotations

import math

import numpy as np
from numba import get_num_threads, njit, prange

_JIT = {"fastmath": False, "error_model": "numpy", "cache": True}
_EMPTY = np.int64(-1)
_MIX = np.uint64(0x9E3779B97F4A7C15)


@njit(inline="always", **_JIT)
def _bin_row(T, r, low, width, nb, codes):
    """codes[i] = the bin indices of T[r, i, :] packed in base ``nb``.

    The bin of t is floor((t - low) * (1 / width)), as in :func:`binning.bin_indices`;
    values outside the range go to the end bins; a zero width puts all in bin 0.
    """
    codes[:] = 0
    if width <= 0:
        return
    scale = 1.0 / width
    for u in range(T.shape[2]):  # unit by unit: runs along the samples (unit-major input)
        for i in range(T.shape[1]):
            k = np.int64(math.floor((T[r, i, u] - low) * scale))
            codes[i] = codes[i] * nb + min(max(k, 0), nb - 1)


@njit(**_JIT)
def _table_size(n):
    """Slots (a power of two >= 2n) and the shift that maps a 64-bit hash onto them."""
    size, shift = 2, 63
    while size < 2 * n:
        size *= 2
        shift -= 1
    return size, shift


@njit(**_JIT)
def _xlogx(n):
    """c * log2(c) for every count c = 0..n."""
    out = np.zeros(n + 1)
    for c in range(2, n + 1):
        out[c] = c * math.log2(c)
    return out


@njit(**_JIT)
def _scratch(size, n, n_labels):
    """One block's empty hash table, its per-label counts and its list of used slots."""
    table = np.full(size, _EMPTY, dtype=np.int64)
    counts = np.zeros((size, n_labels), dtype=np.int32)
    return table, counts, np.empty(n, dtype=np.int64)


@njit(inline="always", **_JIT)
def _count_row(codes, y, table, counts, used, shift, xlogx):
    """H(T) and H(T,Y) in bits of one row of codes; leaves ``table`` and ``counts`` empty."""
    n = codes.size
    mask = table.size - 1
    n_used = 0
    for i in range(n):
        key = codes[i]
        h = np.int64((np.uint64(key) * _MIX) >> np.uint64(shift))
        while table[h] != _EMPTY and table[h] != key:
            h = (h + 1) & mask
        if table[h] == _EMPTY:
            table[h] = key
            used[n_used] = h
            n_used += 1
        counts[h, y[i]] += 1
    sum_t = 0.0
    sum_ty = 0.0
    for j in range(n_used):
        h = used[j]
        total = 0
        for label in range(counts.shape[1]):
            c = counts[h, label]
            total += c
            sum_ty += xlogx[c]
            counts[h, label] = 0
        sum_t += xlogx[total]
        table[h] = _EMPTY
    log_n = math.log2(n)
    return log_n - sum_t / n, log_n - sum_ty / n


@njit(parallel=True, **_JIT)
def binned_codes(T, low, width, n_bins):
    """Bin each unit of T (rows, n, units) into ``n_bins[r]`` bins of width ``width[r]``
    from ``low[r]``, and pack each sample's bin indices into one int64 (base n_bins).

    The caller ensures that n_bins ** units < 2**62.
    """
    rows, n, _ = T.shape
    codes = np.zeros((rows, n), dtype=np.int64)
    for r in prange(rows):
        _bin_row(T, r, low[r], width[r], n_bins[r], codes[r])
    return codes


@njit(parallel=True, **_JIT)
def _code_entropies(codes, y, n_labels, blocks):
    rows, n = codes.shape
    size, shift = _table_size(n)
    xlogx = _xlogx(n)
    h_t, h_ty = np.empty(rows), np.empty(rows)
    for b in prange(blocks):
        table, counts, used = _scratch(size, n, n_labels)
        for r in range(b, rows, blocks):
            h_t[r], h_ty[r] = _count_row(codes[r], y, table, counts, used, shift, xlogx)
    return h_t, h_ty


@njit(parallel=True, **_JIT)
def _binned_entropies(T, low, width, n_bins, y, n_labels, blocks):
    rows, n, _ = T.shape
    size, shift = _table_size(n)
    xlogx = _xlogx(n)
    h_t, h_ty = np.empty(rows), np.empty(rows)
    for b in prange(blocks):
        table, counts, used = _scratch(size, n, n_labels)
        codes = np.empty(n, dtype=np.int64)
        for r in range(b, rows, blocks):
            _bin_row(T, r, low[r], width[r], n_bins[r], codes)
            h_t[r], h_ty[r] = _count_row(codes, y, table, counts, used, shift, xlogx)
    return h_t, h_ty


def _blocks(rows: int) -> int:
    return max(1, min(rows, 4 * get_num_threads()))


def code_entropies(codes: np.ndarray, y: np.ndarray, n_labels: int) -> tuple[np.ndarray, ...]:
    """H(T) and H(T,Y) in bits per row of ``codes`` (rows, n), n equally likely samples."""
    return _code_entropies(codes, y, n_labels, _blocks(len(codes)))


def binned_entropies(
    T: np.ndarray, low: np.ndarray, width: np.ndarray, n_bins: np.ndarray, y: np.ndarray,
    n_labels: int,
) -> tuple[np.ndarray, ...]:
    """:func:`code_entropies` of :func:`binned_codes` in one pass, without the codes array."""
    return _binned_entropies(T, low, width, n_bins, y, n_labels, _blocks(len(T)))
