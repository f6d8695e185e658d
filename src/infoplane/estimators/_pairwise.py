"""Compiled kernels for the pairwise Gaussian sums of the kde and noisy estimators.

Both estimators need, for every query point q (an activation for kde, a noisy draw
for noisy), sums over the n centres t_j of exp(-‖q - t_j‖² / s), over all centres
and over the centres of one class. Each kernel computes a query's n distances, their
exponentials and the row sums together while they sit in the CPU's L1 cache, with
the queries dealt to both cores in blocks; no n x n matrix is ever held.

Precision: the distances and exponentials are computed in the dtype of the centres,
float32 (twice as many values per vector instruction) or float64, with an exp written
here in plain arithmetic that LLVM vectorises (numba has no vector exp library on this
platform; ``math.exp`` is one value at a time, about 4 times slower); every row sum
and logarithm is accumulated in float64. Callers centre the data before
casting, so float32 keeps the estimators' shift invariance; :func:`work_dtype` picks
float32 only where its rounding is negligible.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

_FAST = {"reassoc", "nsz", "nnan", "ninf", "contract"}
"""Lets LLVM vectorise the row sums and minima (reordered additions; no NaN or inf
reaches these loops: inputs are finite and the sentinel below is finite)."""
_JIT = {"fastmath": _FAST, "error_model": "numpy", "cache": True}
_BLOCK = 16
"""Queries a block; blocks are dealt to the threads."""
_EXCLUDED = 1e30
"""Stands in for a query's own centre in its distance row (its term is added exactly)."""
_REDO_NATS = 60.0
"""A class sum whose largest term is this far below the row's largest is redone with
its own shift (float32 exponentials flush to 0 below about e^-87)."""

FLOAT32_MIN_ROWS = 256
"""Below this many centres the float64 kernel takes under a millisecond: float32 buys
nothing, so small problems get float64 (and their closed forms to 1e-12)."""
FLOAT32_MAX_ERROR = 6e-5
"""float32 is used where the bound of :func:`float32_error` is at most this many nats
(1e-4 bits is 6.9e-5 nats)."""
_COUNTED = 30.0
"""Terms below e^-30 of a row's largest change its sum by under 1e-13 each: only
exponents down to -30 need to be accurate."""

_LOG2E = np.float32(1.4426950408889634)
_LN2_HI = np.float32(0.693359375)  # ln 2 = _LN2_HI + _LN2_LO, _LN2_HI exact in 9 bits
_LN2_LO = np.float32(-2.12194440e-4)
_FLUSH = np.float32(-87.0)  # exp(-87) is near float32's smallest normal number
_LN2_HI64 = 6.93147180369123816490e-01  # ln 2 = _LN2_HI64 + _LN2_LO64, k * _LN2_HI64 exact
_LN2_LO64 = 1.90821492927058770002e-10
_FLUSH64 = -708.0  # exp(-708) is near float64's smallest normal number
_TAYLOR64 = tuple(1.0 / math.factorial(i) for i in range(13))


def float32_error(norm: float, units: int, s: float) -> float:
    """Bound, in nats, on the change that float32 makes to any exponent -‖q - t‖² / s
    that counts (down to -30 below its row's largest), where the points q and t (rows of
    ``units`` coordinates) have norms at most ``norm``.

    Rounding q and t to float32 moves them by δ with ‖δ‖ <= 2^-24 norm, which moves
    ‖q - t‖² / s by at most 4 ‖q - t‖ ‖δ‖ / s, and ‖q - t‖² <= 30 s for the terms that
    count; summing the ``units`` squares rounds by about units 2^-24 of the exponent.
    """
    return 2.0**-24 * (4.0 * math.sqrt(_COUNTED / s) * norm + _COUNTED * units)


def is_torch_tensor(a: object) -> bool:
    """True for a torch tensor, tested without importing torch."""
    return type(a).__module__.split(".")[0] == "torch"


def work_dtype(n: int, units: int, norm: float, s: float) -> type[np.floating]:
    """float32 where its rounding is negligible (:data:`FLOAT32_MAX_ERROR`) for the
    exponents -‖q - t‖² / s between n centres and their queries, all of norm at most
    ``norm`` (after centring); else float64."""
    if n >= FLOAT32_MIN_ROWS and float32_error(norm, units, s) <= FLOAT32_MAX_ERROR:
        return np.float32
    return np.float64


def max_norm(centred: np.ndarray) -> float:
    """The largest row norm of ``centred`` (n, units)."""
    return float(np.sqrt(np.einsum("ij,ij->i", centred, centred).max(initial=0.0)))


def draw_margin(sigma: float, units: int) -> float:
    """Bound on the norm of Gaussian noise sigma z in ``units`` dimensions, for all but
    about e^-12 of the draws."""
    return sigma * (math.sqrt(units) + 5.0)


@njit(**_JIT)
def _exp_into_f64(d2, shift, inv, lo, hi, e, k):
    # as _exp_into_f32, with the Taylor series to r^12 (measured relative error < 3e-14)
    c = _TAYLOR64
    for j in range(lo, hi):
        x = max((shift - d2[j]) * inv, _FLUSH64)
        kj = np.int32(x * 1.4426950408889634 - 0.5)  # rounds: x * log2(e) <= 0
        r = (x - kj * _LN2_HI64) - kj * _LN2_LO64
        p = c[12]
        p = p * r + c[11]
        p = p * r + c[10]
        p = p * r + c[9]
        p = p * r + c[8]
        p = p * r + c[7]
        p = p * r + c[6]
        p = p * r + c[5]
        p = p * r + c[4]
        p = p * r + c[3]
        p = p * r + c[2]
        p = p * r + c[1]
        e[j] = p * r + c[0]
        k[j] = kj
    bits = e.view(np.int64)
    for j in range(lo, hi):
        bits[j] += np.int64(k[j]) << np.int64(52)


@njit(**_JIT)
def _exp_into_f32(d2, shift, inv, lo, hi, e, k):
    # exp(x) = 2^k exp(r), k = round(x / ln 2), |r| <= ln 2 / 2: exp(r) by its Taylor
    # series to r^6 (measured relative error < 5e-7), 2^k added to the float's exponent
    # bits.
    # Plain arithmetic in simple loops, so LLVM vectorises all of it.
    shift32 = np.float32(shift)
    inv32 = np.float32(inv)
    for j in range(lo, hi):
        x = max((shift32 - d2[j]) * inv32, _FLUSH)
        kj = np.int32(x * _LOG2E - np.float32(0.5))  # rounds: x * log2(e) <= 0
        kf = np.float32(kj)
        r = x - kf * _LN2_HI - kf * _LN2_LO
        p = np.float32(1.0 / 720.0)
        p = p * r + np.float32(1.0 / 120.0)
        p = p * r + np.float32(1.0 / 24.0)
        p = p * r + np.float32(1.0 / 6.0)
        p = p * r + np.float32(0.5)
        p = p * r + np.float32(1.0)
        e[j] = p * r + np.float32(1.0)
        k[j] = kj
    bits = e.view(np.int32)
    for j in range(lo, hi):
        bits[j] += k[j] << np.int32(23)


@njit(**_JIT)
def _exp_into(d2, shift, inv, lo, hi, e, k):
    """e[j] = exp((shift - d2[j]) * inv) for j in lo:hi, where shift <= d2[j]; in the
    dtype of ``e`` (``k`` is int32 scratch)."""
    if e.itemsize == 4:  # float32 (both versions compile; one runs)
        _exp_into_f32(d2, shift, inv, lo, hi, e, k)
    else:
        _exp_into_f64(d2, shift, inv, lo, hi, e, k)


@njit(inline="always", **_JIT)
def _squared_distances(centres_t, queries, q, d2):
    """d2[j] = ‖queries[q] - t_j‖², with the centres as columns of ``centres_t``."""
    d2[:] = 0.0
    for u in range(centres_t.shape[0]):
        a = queries[q, u]
        for j in range(centres_t.shape[1]):
            diff = centres_t[u, j] - a
            d2[j] += diff * diff


@njit(inline="always", **_JIT)
def _sum(e, lo, hi):
    total = 0.0
    for j in range(lo, hi):
        total += e[j]
    return total


@njit(inline="always", **_JIT)
def _min(d2, lo, hi):
    low = _EXCLUDED
    for j in range(lo, hi):
        low = min(low, d2[j])
    return low


@njit(parallel=True, **_JIT)
def _kde_log_sums(centres, centres_t, label, starts, inv):
    n = centres_t.shape[1]
    log_all = np.empty(n)
    log_class = np.empty(n)
    for b in prange((n + _BLOCK - 1) // _BLOCK):
        d2 = np.empty(n, centres_t.dtype)
        e = np.empty(n, centres_t.dtype)
        k = np.empty(n, np.int32)
        for i in range(b * _BLOCK, min(n, (b + 1) * _BLOCK)):
            _squared_distances(centres_t, centres, i, d2)
            _exp_into(d2, 0.0, inv, 0, n, e, k)  # every term <= 1, the own one == 1
            lo, hi = starts[label[i]], starts[label[i] + 1]
            inside = _sum(e, lo, hi)
            log_all[i] = math.log(_sum(e, 0, lo) + inside + _sum(e, hi, n))
            log_class[i] = math.log(inside)
    return log_all, log_class


def kde_log_sums(
    centred: np.ndarray, label: np.ndarray, starts: np.ndarray, s: float, dtype: type
) -> tuple[np.ndarray, np.ndarray]:
    """ln Σ_j exp(-‖t_i - t_j‖² / s) over all j and over the j of i's class, for every i.

    ``centred`` (n, units) is sorted by ``label`` (int64, 0..K-1), class c occupying
    rows ``starts[c]:starts[c + 1]``; computed in ``dtype`` (float32 or float64),
    returned as two float64 arrays (n,), in nats.
    """
    centres = np.ascontiguousarray(centred, dtype=dtype)
    return _kde_log_sums(centres, np.ascontiguousarray(centres.T), label, starts, 1.0 / s)


@njit(parallel=True, **_JIT)
def _noisy_log_sums(centres_t, draws, own_sq, own, label, starts, inv):
    n = centres_t.shape[1]
    m = draws.shape[0]
    log_all = np.empty(m)
    log_class = np.empty(m)
    for b in prange((m + _BLOCK - 1) // _BLOCK):
        d2 = np.empty(n, centres_t.dtype)
        e = np.empty(n, centres_t.dtype)
        k = np.empty(n, np.int32)
        for r in range(b * _BLOCK, min(m, (b + 1) * _BLOCK)):
            o = own[r]
            _squared_distances(centres_t, draws, r, d2)
            d2[o] = _EXCLUDED  # its exact distance own_sq[r] is added in float64
            lo, hi = starts[label[o]], starts[label[o] + 1]
            shift = min(_min(d2, 0, n), own_sq[r])
            _exp_into(d2, shift, inv, 0, n, e, k)
            own_term = math.exp((shift - own_sq[r]) * inv)
            inside = _sum(e, lo, hi)
            log_all[r] = (own_sq[r] - shift) * inv + math.log(
                _sum(e, 0, lo) + inside + _sum(e, hi, n) + own_term
            )
            shift_class = min(_min(d2, lo, hi), own_sq[r])
            if (shift_class - shift) * inv > _REDO_NATS:
                shift = shift_class
                _exp_into(d2, shift, inv, lo, hi, e, k)
                own_term = math.exp((shift - own_sq[r]) * inv)
                inside = _sum(e, lo, hi)
            log_class[r] = (own_sq[r] - shift) * inv + math.log(inside + own_term)
    return log_all, log_class


class NoisyCentres:
    """The centres (n, units) of a noisy layer, centred and sorted by ``label`` (int64,
    0..K-1), ready for the draws of noise of standard deviation ``sigma``: computed in
    ``dtype``, or in float32 where its rounding is negligible when None."""

    def __init__(
        self, centred: np.ndarray, label: np.ndarray, sigma: float, dtype: type | None = None
    ) -> None:
        n, units = centred.shape
        self.s = 2.0 * sigma**2
        if dtype is None:
            dtype = work_dtype(n, units, max_norm(centred) + draw_margin(sigma, units), self.s)
        self.dtype = dtype
        self.centres_t = np.ascontiguousarray(centred.T, dtype=dtype)
        self.label = label
        self.starts = np.concatenate([[0], np.cumsum(np.bincount(label))])

    def log_sums(
        self, draws: np.ndarray, own: np.ndarray, noise_sq: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """ln Σ_j exp((‖v - t_own‖² - ‖v - t_j‖²) / s), s = 2 sigma², over all centres j
        and over those of the own centre's class, for every draw v (rows of ``draws``,
        float64) of centre ``own``; ``noise_sq`` holds ‖v - t_own‖² (float64), which
        the own term uses exactly. Two float64 arrays (draws,), in nats."""
        return _noisy_log_sums(
            self.centres_t, draws.astype(self.dtype), noise_sq, own, self.label, self.starts,
            1.0 / self.s,
        )
