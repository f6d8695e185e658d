"""Compiled kernels for the binning estimators: bin, pack, count, in one pass per row.

Rows (one layer of one seed at one epoch) are independent and run in parallel.
Patterns are counted in an open-addressing hash table, O(n) per row instead of
the O(n log n) of sorting. With at most ``DENSE_LABELS`` labels each pattern's slot
holds a count per label; with more, (pattern, label) pairs are counted in a second
hash table keyed by the pattern's slot and the label, so time and memory grow with
n, never with n x labels. Rows are dealt to a few blocks that each own one pair of
tables, so a row clears only the slots it used instead of allocating and scanning
whole tables. :func:`binned_entropies`, on every run's path, splits its blocks over
Python threads running a GIL-free serial kernel rather than ``parallel=True``, which
compiles for ~20 s on a first run; the other kernels still use ``prange``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import get_num_threads, njit, prange

from infoplane.nets._parallel import over_rows

_JIT = {"fastmath": False, "error_model": "numpy", "cache": True}
_EMPTY = np.int64(-1)
_MIX = np.uint64(0x9E3779B97F4A7C15)
DENSE_LABELS = 16
"""Up to this many labels, a count per (pattern slot, label) in a dense table (fastest);
above it, a hash table of (pattern, label) pairs (memory and time O(n))."""


@njit(inline="always", **_JIT)
def _bin_row(T, r, low, width, nb, codes):
    """codes[i] = the bin indices of T[r, i, :] packed in base ``nb``.

    The bin of t is floor((t - low) * (1 / width)), as in :func:`binning.bin_indices`;
    values outside the range go to the end bins, whatever their size (clipped as
    floats, before the cast to an integer); a zero width puts all in bin 0.
    """
    codes[:] = 0
    if width <= 0:
        return
    scale = 1.0 / width
    top = float(nb - 1)
    for u in range(T.shape[2]):  # unit by unit: runs along the samples (unit-major input)
        for i in range(T.shape[1]):
            # clipped as a float, then truncated (= floor, as it is >= 0)
            v = min(max((T[r, i, u] - low) * scale, 0.0), top)
            codes[i] = codes[i] * nb + np.int64(v)


@njit(inline="always", **_JIT)
def _table_size(n):
    """Slots (a power of two >= 2n) and the shift that maps a 64-bit hash onto them."""
    size, shift = 2, 63
    while size < 2 * n:
        size *= 2
        shift -= 1
    return size, shift


@njit(inline="always", **_JIT)
def _xlogx(n):
    """c * log2(c) for every count c = 0..n."""
    out = np.empty(n + 1, dtype=np.float64)  # filled here: np.zeros compiles more
    for c in range(n + 1):
        out[c] = c * math.log2(c) if c >= 2 else 0.0
    return out


@njit(inline="always", **_JIT)
def _scratch(size, n, n_labels):
    """One block's empty tables: keys, counts and used slots of the patterns (row 0)
    and of the (pattern, label) pairs (row 1), and the per-label counts (size x
    n_labels, with at most ``DENSE_LABELS`` labels; else size x 0).

    Filled by loops, not np.full/np.zeros: each of those compiles its own
    implementation on a first run (about 0.3 s each; issue 15).
    """
    dense = n_labels <= DENSE_LABELS
    keys = np.empty((2, size), dtype=np.int64)
    counts = np.empty((2, 0 if dense else size), dtype=np.int64)
    per_label = np.empty((size, n_labels if dense else 0), dtype=np.int32)
    for t in range(2):
        for k in range(size):
            keys[t, k] = _EMPTY
        for k in range(counts.shape[1]):
            counts[t, k] = 0
    for k in range(per_label.shape[0]):
        for j in range(per_label.shape[1]):
            per_label[k, j] = 0
    return keys, counts, np.empty((2, n), dtype=np.int64), per_label


@njit(inline="always", **_JIT)
def _slot(keys, key, shift, mask):
    """The slot of ``key`` in the open-addressing table ``keys``: its own or an empty one."""
    h = np.int64((np.uint64(key) * _MIX) >> np.uint64(shift))
    while keys[h] != _EMPTY and keys[h] != key:
        h = (h + 1) & mask
    return h


@njit(inline="always", **_JIT)
def _add(keys, counts, used, n_used, key, slot):
    """Count ``key`` at ``slot``, claiming the slot (and listing it) if empty."""
    if keys[slot] == _EMPTY:
        keys[slot] = key
        used[n_used] = slot
        n_used += 1
    counts[slot] += 1
    return n_used


@njit(inline="always", **_JIT)
def _sum_and_clear(keys, counts, used, n_used, xlogx):
    """Σ c log2 c over the used slots; empties them."""
    total = 0.0
    for j in range(n_used):
        slot = used[j]
        total += xlogx[counts[slot]]
        counts[slot] = 0
        keys[slot] = _EMPTY
    return total


@njit(inline="always", **_JIT)
def _count_row(codes, y, n_labels, scratch, shift, xlogx):
    """H(T) and H(T,Y) in bits of one row of codes; leaves the tables empty."""
    keys, counts, used, per_label = scratch
    if per_label.shape[1] > 0:
        return _count_per_label(codes, y, keys[0], per_label, used[0], shift, xlogx)
    return _count_pairs(codes, y, n_labels, keys, counts, used, shift, xlogx)


@njit(inline="always", **_JIT)
def _count_per_label(codes, y, keys, per_label, used, shift, xlogx):
    """Few labels: each pattern's slot holds a count per label."""
    n = codes.size
    mask = keys.size - 1
    n_used = 0
    for i in range(n):
        slot = _slot(keys, codes[i], shift, mask)
        if keys[slot] == _EMPTY:
            keys[slot] = codes[i]
            used[n_used] = slot
            n_used += 1
        per_label[slot, y[i]] += 1
    sum_t = 0.0
    sum_ty = 0.0
    for j in range(n_used):
        slot = used[j]
        total = 0
        for label in range(per_label.shape[1]):
            c = per_label[slot, label]
            total += c
            sum_ty += xlogx[c]
            per_label[slot, label] = 0
        sum_t += xlogx[total]
        keys[slot] = _EMPTY
    log_n = math.log2(n)
    return log_n - sum_t / n, log_n - sum_ty / n


@njit(inline="always", **_JIT)
def _count_pairs(codes, y, n_labels, keys, counts, used, shift, xlogx):
    """Many labels: table 0 counts the patterns, table 1 the (pattern, label) pairs
    under the key slot * n_labels + label, slot (< 4n) being the pattern's slot in
    table 0: it fits int64 for any n below 2**30, whatever the codes."""
    n = codes.size
    mask = keys.shape[1] - 1
    k_t, c_t, u_t = keys[0], counts[0], used[0]
    k_p, c_p, u_p = keys[1], counts[1], used[1]
    n_t = 0
    n_p = 0
    for i in range(n):
        slot = _slot(k_t, codes[i], shift, mask)
        n_t = _add(k_t, c_t, u_t, n_t, codes[i], slot)
        pair = slot * n_labels + y[i]
        n_p = _add(k_p, c_p, u_p, n_p, pair, _slot(k_p, pair, shift, mask))
    sum_t = _sum_and_clear(k_t, c_t, u_t, n_t, xlogx)
    sum_ty = _sum_and_clear(k_p, c_p, u_p, n_p, xlogx)
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
        scratch = _scratch(size, n, n_labels)
        for r in range(b, rows, blocks):
            h_t[r], h_ty[r] = _count_row(codes[r], y, n_labels, scratch, shift, xlogx)
    return h_t, h_ty


@njit(nogil=True, **_JIT)
def _binned_blocks(T, low, width, n_bins, y, n_labels, lo, hi, blocks, h_t, h_ty):
    """Rows b, b + blocks, ... for each block b in lo..hi-1 of :func:`binned_entropies`,
    serially on the calling thread (GIL released), one block's tables at a time."""
    rows, n, _ = T.shape
    size, shift = _table_size(n)
    xlogx = _xlogx(n)
    scratch = _scratch(size, n, n_labels)
    codes = np.empty(n, dtype=np.int64)
    for b in range(lo, hi):
        for r in range(b, rows, blocks):
            _bin_row(T, r, low[r], width[r], n_bins[r], codes)
            h_t[r], h_ty[r] = _count_row(codes, y, n_labels, scratch, shift, xlogx)


def _blocks(rows: int) -> int:
    return max(1, min(rows, 4 * get_num_threads()))


def code_entropies(codes: np.ndarray, y: np.ndarray, n_labels: int) -> tuple[np.ndarray, ...]:
    """H(T) and H(T,Y) in bits per row of ``codes`` (rows, n), n equally likely samples."""
    return _code_entropies(codes, y, n_labels, _blocks(len(codes)))


def binned_entropies(
    T: np.ndarray, low: np.ndarray, width: np.ndarray, n_bins: np.ndarray, y: np.ndarray,
    n_labels: int,
) -> tuple[np.ndarray, ...]:
    """:func:`code_entropies` of :func:`binned_codes` in one pass, without the codes array.

    Rows are dealt round-robin to one block per thread of numba's pool, each block run
    by a serial, GIL-free kernel on its own Python thread (:func:`over_rows`): no
    ``parallel=True``, whose compilation cost the first run ~20 s (issue 15). Each
    row's arithmetic is the same whatever the blocks, so the values do not depend on
    the thread count.
    """
    blocks = max(1, min(len(T), get_num_threads()))
    h_t, h_ty = np.empty(len(T)), np.empty(len(T))
    over_rows(blocks, lambda lo, hi: _binned_blocks(
        T, low, width, n_bins, y, n_labels, lo, hi, blocks, h_t, h_ty))
    return h_t, h_ty


# -- layers too wide to pack: a fingerprint per sample, equal rows checked exactly ------
_FP_MUL = np.uint64(0x100000001B3)
_FP_SEED = np.uint64(0xCBF29CE484222325)


@njit(inline="always", **_JIT)
def _bin_of(t, low, scale, top):
    """The bin of one value, as :func:`_bin_row` computes it (scale 0: bin 0)."""
    return np.int64(min(max((t - low) * scale, 0.0), top))


@njit(**_JIT)
def _fingerprint_range(T, low, width, n_bins, out, start, stop):
    """A 64-bit fingerprint of each sample's tuple of bin indices, for the flat
    (row, sample) indices start..stop-1 of ``out`` (rows, n).

    Equal tuples give equal fingerprints; unequal ones may collide (a polynomial
    hash, then a 64-bit mix), which :func:`_dedup_row` resolves by comparing the
    bins themselves, so the result never depends on the hash.
    """
    n, units = T.shape[1], T.shape[2]
    for k in range(start, stop):
        r = k // n
        i = k - r * n
        scale = 1.0 / width[r] if width[r] > 0 else 0.0
        low_r = low[r] if width[r] > 0 else 0.0
        top = float(n_bins[r] - 1)
        # four independent lanes (units u = 4m + lane): four multiply chains in flight
        h0, h1, h2, h3 = _FP_SEED, _FP_SEED + np.uint64(1), _FP_SEED + np.uint64(2), \
            _FP_SEED + np.uint64(3)
        full = units - units % 4
        for u in range(0, full, 4):
            h0 = h0 * _FP_MUL + np.uint64(_bin_of(T[r, i, u], low_r, scale, top))
            h1 = h1 * _FP_MUL + np.uint64(_bin_of(T[r, i, u + 1], low_r, scale, top))
            h2 = h2 * _FP_MUL + np.uint64(_bin_of(T[r, i, u + 2], low_r, scale, top))
            h3 = h3 * _FP_MUL + np.uint64(_bin_of(T[r, i, u + 3], low_r, scale, top))
        for u in range(full, units):
            h0 = h0 * _FP_MUL + np.uint64(_bin_of(T[r, i, u], low_r, scale, top))
        h = ((h0 * _MIX + h1) * _MIX + h2) * _MIX + h3
        h ^= h >> np.uint64(31)
        h *= _MIX
        h ^= h >> np.uint64(29)
        out[r, i] = np.int64(h)


@njit(parallel=True, **_JIT)
def _fingerprints_parallel(T, low, width, n_bins, out, chunks):
    total = T.shape[0] * T.shape[1]
    for c in prange(chunks):
        _fingerprint_range(T, low, width, n_bins, out, c * total // chunks,
                           (c + 1) * total // chunks)


_PARALLEL_VALUES = 2**21
"""Below this many values, fingerprints are taken serially: starting a parallel region
costs milliseconds on a busy machine, more than the work."""


def _fingerprints(T: np.ndarray, low: np.ndarray, width: np.ndarray,
                  n_bins: np.ndarray) -> np.ndarray:
    """:func:`_fingerprint_range` of every sample, (rows, n) int64."""
    out = np.empty(T.shape[:2], dtype=np.int64)
    if T.size < _PARALLEL_VALUES:
        _fingerprint_range(T, low, width, n_bins, out, 0, out.size)
    else:
        _fingerprints_parallel(T, low, width, n_bins, out, 8 * get_num_threads())
    return out


@njit(inline="always", **_JIT)
def _same_bins(T, r, i, j, low, scale, top):
    """Whether samples i and j of row r have the same bin in every unit."""
    for u in range(T.shape[2]):
        if _bin_of(T[r, i, u], low, scale, top) != _bin_of(T[r, j, u], low, scale, top):
            return False
    return True


@njit(inline="always", **_JIT)
def _dedup_row(T, r, low, width, nb, prints, keys, first, used, codes, shift):
    """codes[i] = the first sample whose bins equal sample i's (exact; < n)."""
    mask = keys.size - 1
    scale = 1.0 / width if width > 0 else 0.0
    low = low if width > 0 else 0.0
    top = float(nb - 1)
    n_used = 0
    for i in range(prints.size):
        key = prints[i]
        slot = np.int64((np.uint64(key) * _MIX) >> np.uint64(shift))
        while True:
            j = first[slot]
            if j < 0:  # a new pattern
                first[slot] = i
                keys[slot] = key
                used[n_used] = slot
                n_used += 1
                codes[i] = i
                break
            if keys[slot] == key and _same_bins(T, r, i, j, low, scale, top):
                codes[i] = j
                break
            slot = (slot + 1) & mask  # another pattern (or a fingerprint collision)
    for k in range(n_used):
        first[used[k]] = -1


@njit(**_JIT)
def _wide_block(T, low, width, n_bins, prints, y, n_labels, b, blocks, codes, h_t, h_ty):
    """Rows b, b + blocks, ... : their exact codes and, with labels (n_labels > 0),
    H(T) and H(T,Y) in bits. Serial; one block's tables."""
    rows, n, _ = T.shape
    size, shift = _table_size(n)
    keys = np.empty(size, dtype=np.int64)
    first = np.full(size, -1, dtype=np.int64)
    used = np.empty(n, dtype=np.int64)
    if n_labels > 0:
        xlogx = _xlogx(n)
        scratch = _scratch(size, n, n_labels)
    for r in range(b, rows, blocks):
        _dedup_row(T, r, low[r], width[r], n_bins[r], prints[r], keys, first, used,
                   codes[r], shift)
        if n_labels > 0:
            h_t[r], h_ty[r] = _count_row(codes[r], y, n_labels, scratch, shift, xlogx)


@njit(parallel=True, **_JIT)
def _wide_blocks(T, low, width, n_bins, prints, y, n_labels, blocks, codes, h_t, h_ty):
    for b in prange(blocks):
        _wide_block(T, low, width, n_bins, prints, y, n_labels, b, blocks, codes, h_t, h_ty)


def _wide(T, low, width, n_bins, y, n_labels):
    """Codes, H(T) and H(T,Y) (empty without labels) of :func:`wide_codes`."""
    rows, n = T.shape[:2]
    prints = _fingerprints(T, low, width, n_bins)
    codes = np.empty((rows, n), dtype=np.int64)
    h_t, h_ty = np.zeros(rows), np.zeros(rows)
    blocks = _blocks(rows)
    if blocks == 1:  # one row: no parallel region to start (it costs ms on a busy host)
        _wide_block(T, low, width, n_bins, prints, y, n_labels, 0, 1, codes, h_t, h_ty)
    else:
        _wide_blocks(T, low, width, n_bins, prints, y, n_labels, blocks, codes, h_t, h_ty)
    return codes, h_t, h_ty


def wide_codes(
    T: np.ndarray, low: np.ndarray, width: np.ndarray, n_bins: np.ndarray
) -> np.ndarray:
    """Pattern codes of layers of any width, (rows, n) int64, exact.

    Each unit of T (rows, n, units) is binned as :func:`binned_codes` bins it; sample
    i's code is the index of the first sample of its row with the same bin in every
    unit (so codes are < n, equal exactly for equal tuples of bins). One compiled
    pass fingerprints each sample's bins (parallel over samples), a hash table on
    the fingerprints finds equal ones, and every fingerprint match is confirmed by
    comparing the bins, so a collision can cost time but never change a code.
    """
    return _wide(T, low, width, n_bins, np.zeros(T.shape[1], dtype=np.int64), 0)[0]


def wide_entropies(
    T: np.ndarray, low: np.ndarray, width: np.ndarray, n_bins: np.ndarray, y: np.ndarray,
    n_labels: int,
) -> tuple[np.ndarray, ...]:
    """H(T) and H(T,Y) in bits per row of :func:`wide_codes`, counted in the same pass."""
    _, h_t, h_ty = _wide(T, low, width, n_bins, y, n_labels)
    return h_t, h_ty


@njit(**_JIT)
def _equal_mass_row(ordered, bins, unique, out):
    """Equal-mass bin of each of the sorted values ``ordered``, into ``out``.

    Runs of equal values are placed in order, whole (ties are never split). A bin is
    closed once it holds its share, the mass left when it was opened divided by the
    bins left then, or when no more values are left than the bins after it (so no
    bin stays empty while two distinct values share one). A value weighs 1, or, with
    ``unique``, a run of equal values weighs 1.
    """
    size = ordered.size
    distinct = 1
    for i in range(1, size):
        if ordered[i] != ordered[i - 1]:
            distinct += 1
    left = distinct if unique else size  # mass not in a closed bin
    b, fill, j, i = 0, 0, 0, 0
    while i < size:
        end = i + 1
        while end < size and ordered[end] == ordered[i]:
            end += 1
        if fill > 0 and b < bins - 1 and (
            fill * (bins - b) >= left or distinct - j <= bins - 1 - b
        ):
            left -= fill
            b += 1
            fill = 0
        out[i:end] = b
        fill += 1 if unique else end - i
        j += 1
        i = end


@njit(parallel=True, **_JIT)
def equal_mass_bins(ordered, bins, unique):
    """:func:`_equal_mass_row` for every row of ``ordered`` (points, M), in parallel;
    int64 bin indices 0..bins-1 of the same shape."""
    out = np.empty(ordered.shape, dtype=np.int64)
    for r in prange(ordered.shape[0]):
        _equal_mass_row(ordered[r], bins, unique, out[r])
    return out
