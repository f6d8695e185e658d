"""Adaptive (equal-mass) binning, after Chelombiev et al. (ICLR 2019).

What it estimates
-----------------
Like ``binning``, the information of the *quantised* network, a quantity of the
deterministic network seen through a bin grid; only the grid differs. On every call
(every layer at every epoch) the bin edges are placed at quantiles of the layer's
activation values, **pooled over all units of the layer**, so that each of the
``bins`` bins holds the same share of the n x units values. One grid for the whole
layer keeps the units comparable (as with the fixed grid of ``binning``) and follows
the layer's scale as it changes in training (saturating tanh, unbounded ReLU), which
a fixed range cannot. Over n distinct, equally likely inputs, with T the tuple of
bin indices,

    I(X;T) = H(T),    I(T;Y) = H(T) + H(Y) - H(T,Y),    in bits.

The M = n x units values are placed in increasing order, and ties are never split:
a bin is closed once it holds its share (the values not yet placed when it was
opened, divided by the bins left then), so without ties the edges sit at the
empirical quantiles k/bins. Many equal values (ReLU zeros, saturated tanh) share one
bin, and the values after them share out the bins left; a bin is also closed when
no more distinct values remain than bins after it, so no bin stays empty while two
distinct values share one (with at most ``bins`` distinct values, each has its own).

Options
-------
bins : int, default 30
    Number of equal-mass bins (dimensionless).
unique : bool, default False
    If true, the quantiles are taken over the *distinct* activation values, so every
    bin holds the same number of distinct levels (each distinct value weighs 1 in
    the rule above, however often it occurs). This is how
    we read Chelombiev et al.'s "entropy-based adaptive binning"; it keeps a mass of
    exact zeros or saturated values from swallowing bins.

Cost
----
O(n u log(n u)) time for the sort of the pooled values plus O(n u) for the pattern
codes, O(n u) memory (n samples, u units); ``estimate_many`` handles a stack of
layers in one vectorised pass.

References
----------
I. Chelombiev, C. Houghton, C. O'Donnell, "Adaptive estimators show information
compression in deep neural networks", ICLR 2019.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from infoplane.estimators._base import Estimator, InformationEstimate, check_option, register
from infoplane.estimators._counting import equal_mass_bins
from infoplane.estimators.binning import (
    _label_entropy,
    check_bins,
    entropies_from_codes,
    pattern_codes,
)

NAME = "adaptive"


def adaptive_bin_indices(Ts: np.ndarray, *, bins: int = 30, unique: bool = False) -> np.ndarray:
    """Equal-mass bin indices for a stack of layers ``Ts`` (points, n, units).

    Each point's values are pooled over samples and units; returns int64 indices in
    0..bins-1 of the same shape. Equal values always get the same index.
    """
    points = Ts.shape[0]
    flat = np.asarray(Ts, dtype=np.float64).reshape(points, -1)
    order = np.argsort(flat, axis=-1, kind="stable")
    ordered = np.ascontiguousarray(np.take_along_axis(flat, order, axis=-1))
    sorted_idx = equal_mass_bins(ordered, int(bins), bool(unique))
    idx = np.empty_like(sorted_idx)
    np.put_along_axis(idx, order, sorted_idx, axis=-1)
    return idx.reshape(Ts.shape)


def _check_options(bins: object, unique: object) -> None:
    check_bins(bins, NAME)
    check_option(isinstance(unique, bool | np.bool_), NAME, "unique", "True or False", unique)


def _validate(options: dict[str, Any]) -> dict[str, Any]:
    _check_options(options["bins"], options["unique"])
    return {"bins": int(options["bins"]), "unique": bool(options["unique"])}


def adaptive_information_many(
    Ts: np.ndarray,
    y: np.ndarray,
    *,
    X: np.ndarray | None = None,
    bins: int = 30,
    unique: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Adaptive-binning estimates for a stack of layers ``Ts`` (points, n, units).

    Each point gets its own equal-mass grid. Returns ``(ixt, ity)`` in bits, each of
    shape (points,).
    """
    del X  # compares the layer with the labels only
    _check_options(bins, unique)
    Ts = np.asarray(Ts, dtype=np.float64)
    idx = adaptive_bin_indices(Ts, bins=int(bins), unique=bool(unique))
    codes = pattern_codes(idx, int(bins))
    h_y, n_labels = _label_entropy(y)
    h_t, h_ty = entropies_from_codes(codes, y, n_labels)
    h_t = np.clip(h_t, 0.0, None)  # one pattern can give -4e-16 by rounding (n = 10)
    ity = np.clip(h_t + h_y - h_ty, 0.0, None)  # exact up to rounding; clamp -1e-16
    return h_t, ity


def adaptive_information(
    T: np.ndarray,
    y: np.ndarray,
    *,
    X: np.ndarray | None = None,
    bins: int = 30,
    unique: bool = False,
) -> InformationEstimate:
    """Adaptive-binning estimate for one layer T (n_samples x n_units); bits.

    Examples
    --------
    >>> import numpy as np
    >>> T = np.arange(8.0)[:, None] ** 3           # any scale: 8 values, 8 bins
    >>> est = adaptive_information(T, np.array([0, 0, 0, 0, 1, 1, 1, 1]), bins=8)
    >>> float(est.ixt), float(est.ity)
    (3.0, 1.0)
    """
    ixt, ity = adaptive_information_many(T[None], y, X=X, bins=bins, unique=unique)
    return InformationEstimate(ixt=float(ixt[0]), ity=float(ity[0]))


ADAPTIVE = register(
    Estimator(
        name=NAME,
        estimate=adaptive_information,
        estimate_many=adaptive_information_many,
        measures="I(X;T), I(T;Y) of the network quantised into equal-mass bins per layer",
        defaults={"bins": 30, "unique": False},
        validate=_validate,
    )
)
