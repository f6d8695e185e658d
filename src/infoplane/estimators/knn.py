"""k-nearest-neighbour estimators: KSG for I(X;T), Ross's for I(T;Y).

What it estimates
-----------------
I(X;T) and I(T;Y) *as if* X and T had continuous joint densities, from the n pairs of
inputs (passed as ``X=``) and activations, by counting neighbours. For a truly
deterministic network with continuous inputs the true I(X;T) is infinite, and with
discrete inputs it equals H(X); the k-NN estimate is then a finite-sample quantity of
the *geometry* of the point cloud, not of the network's information (see
docs/estimators.md), so read it as such.

I(X;T): Kraskov, Stögbauer & Grassberger (2004), algorithm 1, max-norm in every
space: eps_i = distance from (x_i, t_i) to its k-th neighbour in the joint space,
n_x(i), n_t(i) = number of other points strictly closer than eps_i in X, in T, and

    I(X;T) = psi(k) + psi(n) - < psi(n_x + 1) + psi(n_t + 1) >      (nats).

I(T;Y), discrete labels: Ross (2014): d_i = distance from t_i to its k-th neighbour
among the points of its own class (k is lowered to N_y - 1 in classes smaller than
k + 1), m_i = number of points of any class strictly closer than d_i, plus one, and

    I(T;Y) = psi(n) - < psi(N_{y_i}) > + < psi(k_i) > - < psi(m_i) >   (nats),


over the points whose class has at least two members (the others are dropped, as
in scikit-learn, with a warning; if no class has two members, I(T;Y) cannot be
estimated and an InfoplaneError says so). Both are converted to bits.

Preprocessing: every column of X and of T is centred and divided by its standard
deviation (constant columns are only centred), which makes the estimate independent
of shifts and scales of the units, as the mutual information is; then Gaussian
jitter of standard deviation ``JITTER = 1e-8`` (in those unit-variance units) drawn
from ``numpy.random.default_rng(seed)`` is added to every entry to break ties, which
the counts assume absent. Centring first keeps the jitter far above the rounding of
the values (next to a large offset, 1e-8 would vanish), and far below any real
distance, so it only orders otherwise equal distances.

Clamp policy: both estimators are nearly unbiased but can return small negative
values when the true information is near 0; negative estimates are reported as 0
(as scikit-learn's ``mutual_info_*`` do).

Options
-------
k : int, default 3
    Number of neighbours (dimensionless). Larger k: lower variance, more bias.
seed : int >= 0 or numpy.random.Generator, default 0
    Seeds the tie-breaking jitter.

Cost
----
KD-trees (``scipy.spatial.KDTree``, max-norm): building O(n log n); the neighbour
queries are about O(n log n) in low dimension and degrade towards O(n² (d_x + d_t))
when X and T have many dimensions (tens); the queries run on all cores (``WORKERS``).
Memory O(n (d_x + d_t)) plus the trees.

References
----------
A. Kraskov, H. Stögbauer, P. Grassberger, "Estimating mutual information", Phys.
Rev. E 69, 066138 (2004). B. C. Ross, "Mutual information between discrete and
continuous data sets", PLoS ONE 9(2):e87357 (2014).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy.spatial import KDTree
from scipy.special import digamma

from infoplane.errors import check
from infoplane.estimators._base import (
    Estimator,
    InformationEstimate,
    check_option,
    check_seed,
    is_int_at_least,
    make_rng,
    register,
)

NAME = "knn"
JITTER = 1e-8
"""Standard deviation of the tie-breaking noise, in units of each column's std."""
WORKERS = -1
"""Threads for the KD-tree queries (SciPy's ``workers``; -1: all cores)."""


def _standardise_and_jitter(A: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Centre each column, scale it to unit std, then add the tie-breaking jitter."""
    A = A - A.mean(axis=0)
    peak = np.abs(A).max(axis=0)
    A = A / np.where(peak > 0, peak, 1.0)  # first to at most 1, so the std cannot overflow
    std = A.std(axis=0)
    std[std == 0] = 1.0  # a constant column keeps its (zero) spread
    return A / std + JITTER * rng.standard_normal(A.shape)


def _count_strictly_within(points: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """Number of points at max-norm distance < radius from each point, itself included."""
    tree = KDTree(points)
    r = np.nextafter(radius, 0.0)  # "<" by a "<=" query
    return np.asarray(
        tree.query_ball_point(points, r, p=np.inf, return_length=True, workers=WORKERS)
    )


def ksg_mutual_information(X: np.ndarray, T: np.ndarray, k: int) -> float:
    """KSG algorithm 1 estimate of I(X;T) in nats (unclamped); inputs already jittered."""
    n = X.shape[0]
    joint = np.hstack([X, T])
    eps = KDTree(joint).query(joint, k=[k + 1], p=np.inf, workers=WORKERS)[0][:, 0]  # skip self
    n_x = _count_strictly_within(X, eps) - 1
    n_t = _count_strictly_within(T, eps) - 1
    return float(digamma(k) + digamma(n) - np.mean(digamma(n_x + 1) + digamma(n_t + 1)))


def check_labels(y: np.ndarray) -> None:
    """Raise InfoplaneError unless some class of the labels ``y`` has two members."""
    _, counts = np.unique(y, return_counts=True)
    check(
        bool((counts > 1).any()),
        f"knn: no class has two members ({y.size} samples, {counts.size} classes), "
        "so I(T;Y) cannot be estimated",
    )


def ross_mutual_information(T: np.ndarray, y: np.ndarray, k: int) -> float:
    """Ross's estimate of I(T;Y) in nats (unclamped) for labels 0..K-1."""
    check_labels(y)
    keep = np.bincount(y)[y] > 1
    if not keep.all():
        warnings.warn(
            f"knn: {np.count_nonzero(~keep)} of {y.size} samples are alone in their class "
            "and left out of I(T;Y)", UserWarning, stacklevel=4,
        )
    T, y = T[keep], y[keep]
    radius = np.empty(y.size)
    k_all = np.empty(y.size)
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        k_c = min(k, members.size - 1)
        dist = KDTree(T[members]).query(
            T[members], k=[k_c + 1], p=np.inf, workers=WORKERS
        )[0][:, 0]
        radius[members] = dist
        k_all[members] = k_c
    m = _count_strictly_within(T, radius)  # includes the point itself: Ross's m_i
    n_y = np.bincount(y)[y]
    return float(
        digamma(y.size) - np.mean(digamma(n_y)) + np.mean(digamma(k_all)) - np.mean(digamma(m))
    )


def knn_information(
    T: np.ndarray,
    y: np.ndarray,
    *,
    X: np.ndarray | None = None,
    k: int = 3,
    seed: int | np.random.Generator = 0,
) -> InformationEstimate:
    """KSG estimate of I(X;T) and Ross's estimate of I(T;Y), in bits, clamped at 0.

    Parameters
    ----------
    T : array (n_samples, n_units), float64
    y : array (n_samples,), int codes 0..K-1
    X : array (n_samples, n_inputs), float64
        The inputs (required).
    k : int, default 3
    seed : int or numpy.random.Generator, default 0

    Returns
    -------
    InformationEstimate
        ``ixt``, ``ity`` in bits; no standard errors.

    Raises
    ------
    InfoplaneError
        For bad options, or when no class of ``y`` has two members.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((2000, 1))
    >>> T = X + rng.standard_normal((2000, 1))   # exact I = 0.5 bits
    >>> abs(knn_information(T, np.zeros(2000, dtype=int), X=X).ixt - 0.5) < 0.05
    True
    """
    check_option(X is not None, NAME, "X", "the inputs (pass X=)", None)
    _validate({"k": k, "seed": seed})
    n = T.shape[0]
    check_option(n > k, NAME, "k", f"smaller than the number of samples ({n})", k)
    rng = make_rng(seed, NAME)
    Xj = _standardise_and_jitter(np.asarray(X, dtype=np.float64), rng)
    Tj = _standardise_and_jitter(T, rng)
    ixt = ksg_mutual_information(Xj, Tj, int(k))
    ity = ross_mutual_information(Tj, y, int(k))
    return InformationEstimate(
        ixt=float(max(0.0, ixt) / np.log(2)), ity=float(max(0.0, ity) / np.log(2))
    )


def _validate(options: dict[str, Any]) -> dict[str, Any]:
    check_option(is_int_at_least(options["k"], 1), NAME, "k", "an int >= 1", options["k"])
    check_seed(options["seed"], NAME)
    return {**options, "k": int(options["k"])}


KNN = register(
    Estimator(
        name=NAME,
        estimate=knn_information,
        measures="k-NN (KSG, Ross) estimates of I(X;T), I(T;Y) treating X and T as continuous",
        defaults={"k": 3, "seed": 0},
        needs_inputs=True,
        validate=_validate,
    )
)
