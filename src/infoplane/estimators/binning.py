"""The binning estimator of Shwartz-Ziv & Tishby (2017).

Each unit is put in one of ``bins`` equal bins over ``value_range``; the layer's
state T is the tuple of its units' bin indices. Over n distinct, equally likely
inputs the binned network is a deterministic function of X, so

    I(X;T) = H(T),    I(T;Y) = H(T) + H(Y) - H(T,Y),    in bits.

It measures the information of the *binned* (quantised) network, not of the
continuous one (whose I(X;T) is constant or infinite; Goldfeld et al., 2019), so
the numbers depend on the bin width (Saxe et al., 2018).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from infoplane.errors import check
from infoplane.estimators._base import Estimator, InformationEstimate, check_option, register
from infoplane.estimators._counting import binned_codes, binned_entropies, code_entropies

_MAX_CODE = 2**62
"""Packed pattern codes stay below this so that code * n_labels fits in int64."""
EDGES = ("equal", "idnns")
"""The ``edges`` option: "equal", ``bins`` equal bins with values outside the range in
the end bins (the paper's rule, the default); "idnns", the authors' released code."""


def bin_indices(
    T: np.ndarray,
    *,
    bins: int = 30,
    value_range: tuple[float, float] | None = (-1.0, 1.0),
    bin_size: float | None = None,
) -> tuple[np.ndarray, int]:
    """Map activations to bin indices; values outside the range go to the end bins.

    Parameters
    ----------
    T : array, any shape
        Activations.
    bins : int, default 30
        Number of equal bins over ``value_range`` (ignored when ``bin_size`` is set).
    value_range : (low, high) or None, default (-1, 1)
        The binned interval; ``None`` uses the min and max of ``T``.
    bin_size : float, optional
        A fixed bin width instead of a bin count (Saxe et al.'s code); the number of
        bins is then ceil((high - low) / bin_size).

    Returns
    -------
    indices : int64 array, same shape as ``T``
    n_bins : int
    """
    low, high = _resolve_range(T, value_range)
    if bin_size is not None:
        check(bin_size > 0, f"bin_size must be > 0, got {bin_size}")
        n_bins = max(1, int(np.ceil((high - low) / bin_size)))
        width = bin_size
    else:
        check(int(bins) >= 1, f"bins must be >= 1, got {bins}")
        n_bins = int(bins)
        width = (high - low) / n_bins
    if width <= 0:  # a constant layer: every value in one bin
        return np.zeros(T.shape, dtype=np.int64), n_bins
    # in float64 whatever T's type, as the compiled path does: equal bins on both
    idx = np.floor((np.asarray(T, dtype=np.float64) - low) * (1.0 / width))
    return np.clip(idx, 0, n_bins - 1).astype(np.int64), n_bins


def _resolve_range(T: np.ndarray, value_range: tuple[float, float] | None) -> tuple[float, float]:
    if value_range is None:
        return float(np.min(T)), float(np.max(T))
    low, high = (float(v) for v in value_range)
    check(
        np.isfinite(low) and np.isfinite(high) and high > low,
        f"value_range must be finite with high > low, got {value_range}",
    )
    return low, high


def pattern_codes(indices: np.ndarray, n_bins: int) -> np.ndarray:
    """One int64 code per row pattern of bin indices, for a stack (..., n, units).

    Codes identify patterns within each (..., :) row set: equal rows get equal codes.
    Units are packed in base ``n_bins``; codes are re-ranked densely whenever the
    next unit would overflow, so any width works.
    """
    codes = np.zeros(indices.shape[:-1], dtype=np.int64)
    bound = 1  # an upper bound on the codes so far
    for unit in range(indices.shape[-1]):
        if bound * n_bins >= _MAX_CODE:
            codes = _dense_ranks(codes)
            bound = codes.shape[-1]
        codes = codes * n_bins + indices[..., unit]
        bound *= n_bins
    return codes


def _dense_ranks(codes: np.ndarray) -> np.ndarray:
    """Replace codes by their dense rank (0, 1, ...) within each row of the last axis."""
    order = np.argsort(codes, axis=-1, kind="stable")
    ordered = np.take_along_axis(codes, order, axis=-1)
    new = np.diff(ordered, axis=-1, prepend=ordered[..., :1]) != 0
    ranks = np.cumsum(new, axis=-1)
    out = np.empty_like(codes)
    np.put_along_axis(out, order, ranks, axis=-1)
    return out


def entropies_from_codes(codes: np.ndarray, y: np.ndarray, n_labels: int) -> tuple[np.ndarray, ...]:
    """H(T) and H(T,Y) in bits, for codes (rows, n) of n equally likely samples."""
    codes = np.ascontiguousarray(codes, dtype=np.int64).reshape(-1, codes.shape[-1])
    return code_entropies(codes, np.ascontiguousarray(y, dtype=np.int64), n_labels)


def _label_entropy(y: np.ndarray) -> tuple[float, int]:
    counts = np.bincount(y)
    p = counts[counts > 0] / y.size
    return float(-(p * np.log2(p)).sum()), counts.size


def binned_pattern_codes(
    Ts: np.ndarray,
    *,
    bins: int = 30,
    value_range: tuple[float, float] | None = (-1.0, 1.0),
    bin_size: float | None = None,
) -> np.ndarray:
    """The binned state of each sample as one int64 code, for a stack (points, n, units).

    Equal codes within a row mean equal tuples of bin indices. With
    ``value_range=None`` each point is binned over its own min and max.
    Returns int64 codes of shape (points, n), all >= 0 and < 2**62.
    """
    Ts = np.asarray(Ts)
    low, width, n_bins = _bin_grid(Ts, bins, value_range, bin_size)
    if _packable(Ts, n_bins):
        return binned_codes(Ts, low, width, n_bins)  # any strides (no copy)
    return _wide_codes(Ts, low, width, n_bins)


def _wide_codes(
    Ts: np.ndarray, low: np.ndarray, width: np.ndarray, n_bins: np.ndarray
) -> np.ndarray:
    """Codes of layers too wide to pack directly: bin in NumPy, re-rank while packing."""
    return np.stack([
        pattern_codes(bin_indices(T, bins=int(nb), value_range=(lo_, lo_ + nb * w))[0], int(nb))
        for T, lo_, w, nb in zip(Ts, low, width, n_bins, strict=True)
    ])


def _bin_grid(
    Ts: np.ndarray, bins: int, value_range: tuple[float, float] | None, bin_size: float | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per point of the stack: the low edge, bin width and number of bins."""
    rows = Ts.shape[0]
    if value_range is None:
        low, high = Ts.min(axis=(1, 2)).astype(float), Ts.max(axis=(1, 2)).astype(float)
    else:
        lo, hi = _resolve_range(Ts, value_range)
        low, high = np.full(rows, lo), np.full(rows, hi)
    if bin_size is not None:
        check(bin_size > 0, f"bin_size must be > 0, got {bin_size}")
        n_bins = np.maximum(1, np.ceil((high - low) / bin_size)).astype(np.int64)
        width = np.full(rows, float(bin_size))
    else:
        check(int(bins) >= 1, f"bins must be >= 1, got {bins}")
        n_bins = np.full(rows, int(bins), dtype=np.int64)
        width = (high - low) / n_bins
    return low, width, n_bins


def _packable(Ts: np.ndarray, n_bins: np.ndarray) -> bool:
    """Whether every sample's bin indices fit one int64 code in base n_bins."""
    return bool(Ts.shape[-1] * np.log2(max(int(n_bins.max(initial=1)), 2)) < 62)


def idnns_bin_indices(
    T: np.ndarray, *, bins: int = 30, value_range: tuple[float, float] = (-1.0, 1.0)
) -> np.ndarray:
    """Bin indices as the authors' released code (IDNNs) computes them, 0..bins-1.

    The code takes ``bins`` *edges* ``linspace(low, high, bins)`` (bins - 1 intervals)
    and maps each value to ``edges[np.digitize(value, edges) - 1]``: a value in
    [edges[k], edges[k+1]) gets index k, a value at or above ``high`` index bins - 1,
    and a value below ``low``, where ``digitize`` gives 0, wraps round to ``edges[-1]``
    and so shares index bins - 1 with the values at or above ``high`` (the defect
    listed in DESIGN.md; tanh never goes below -1, so for it the last index holds
    exactly the units saturated at 1.0).

    >>> idnns_bin_indices(np.array([-2.0, -1.0, -0.5, 0.0, 0.99, 1.0]), bins=5).tolist()
    [4, 0, 1, 2, 3, 4]
    """
    low, high = _resolve_range(T, value_range)
    edges = np.linspace(low, high, int(bins))
    return (np.digitize(np.asarray(T, dtype=np.float64), edges) - 1) % int(bins)


def _idnns_information_many(
    Ts: np.ndarray, y: np.ndarray, bins: int, value_range: tuple[float, float] | None
) -> tuple[np.ndarray, np.ndarray]:
    """binning_information_many with ``edges="idnns"``: the released code's bins."""
    check_option(value_range is not None, "binning", "value_range",
                 'a (low, high) pair with edges="idnns"', value_range)
    check_option(int(bins) >= 2, "binning", "bins", 'an int >= 2 with edges="idnns"', bins)
    h_y, n_labels = _label_entropy(y)
    codes = pattern_codes(idnns_bin_indices(Ts, bins=bins, value_range=value_range), int(bins))
    h_t, h_ty = entropies_from_codes(codes, np.ascontiguousarray(y, dtype=np.int64), n_labels)
    return np.clip(h_t, 0.0, None), np.clip(h_t + h_y - h_ty, 0.0, None)


def binning_information_many(
    Ts: np.ndarray,
    y: np.ndarray,
    *,
    X: np.ndarray | None = None,
    bins: int = 30,
    value_range: tuple[float, float] | None = (-1.0, 1.0),
    bin_size: float | None = None,
    edges: str = "equal",
) -> tuple[np.ndarray, np.ndarray]:
    """Binning estimates for a stack of layers ``Ts`` (points, n, units), in bits.

    With ``value_range=None`` each point is binned over its own min and max.
    ``edges="idnns"`` bins as the authors' released code (:func:`idnns_bin_indices`;
    ``bin_size`` is then ignored). Returns ``(ixt, ity)``, each of shape (points,).
    """
    del X  # binning compares the layer with the labels only
    check_option(edges in EDGES, "binning", "edges", f"one of {', '.join(EDGES)}", edges)
    Ts = np.asarray(Ts)
    if edges == "idnns":
        return _idnns_information_many(Ts, y, bins, value_range)
    h_y, n_labels = _label_entropy(y)
    y = np.ascontiguousarray(y, dtype=np.int64)
    low, width, n_bins = _bin_grid(Ts, bins, value_range, bin_size)
    if _packable(Ts, n_bins):  # bin, pack and count in one pass, no codes array
        h_t, h_ty = binned_entropies(Ts, low, width, n_bins, y, n_labels)
    else:
        h_t, h_ty = entropies_from_codes(_wide_codes(Ts, low, width, n_bins), y, n_labels)
    # exact up to rounding: clamp the -4e-16 of a constant layer to 0
    return np.clip(h_t, 0.0, None), np.clip(h_t + h_y - h_ty, 0.0, None)


def binning_information(T: np.ndarray, y: np.ndarray, **options: Any) -> InformationEstimate:
    """Binning estimate for one layer T (n_samples x n_units); bits."""
    ixt, ity = binning_information_many(T[None], y, **options)
    return InformationEstimate(ixt=float(ixt[0]), ity=float(ity[0]))


BINNING = register(
    Estimator(
        name="binning",
        estimate=binning_information,
        estimate_many=binning_information_many,
        measures="I(X;T), I(T;Y) of the network with each unit quantised into equal bins",
        defaults={"bins": 30, "value_range": (-1.0, 1.0), "bin_size": None, "edges": "equal"},
    )
)
