"""Entropies and the exact reduction of p(x, y) shared by the solver and the layer fit.

Sums run over non-zero cells only (``scipy.special.xlogy``), so zero probabilities
never give NaN. Public results are in bits; the kernels work in nats.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import xlogy

LN2 = float(np.log(2.0))

GROUP_DECIMALS = 12
"""Rows of p(y|x) equal after rounding to this many decimals count as one input class.

Rounding only decides which rows are grouped; the class keeps the p(x)-weighted mean
of its rows, so grouping rows that differ by float rounding (~1e-16) changes the
information by far less than 1e-12 bits."""


def entropy_bits(p: np.ndarray) -> float:
    """H(p) in bits of a probability vector (zeros allowed)."""
    return max(0.0 - float(xlogy(p, p).sum()) / LN2, 0.0)


def mutual_information_bits(p_ab: np.ndarray) -> float:
    """I(A;B) in bits of a joint table p(a, b) (zeros allowed), clipped at 0."""
    p_a = p_ab.sum(axis=1)
    p_b = p_ab.sum(axis=0)
    nats = xlogy(p_ab, p_ab).sum() - xlogy(p_a, p_a).sum() - xlogy(p_b, p_b).sum()
    return max(float(nats / LN2), 0.0)


class Reduced(NamedTuple):
    """p(x, y) with the inputs merged into classes of equal p(y|x).

    ``w[c]`` is p(c), ``cond[c]`` is p(y|c) over the labels of non-zero p(y), and
    ``labels`` the kept label indices; ``x_class[x]`` is the class of input x (-1
    where p(x) = 0). ``hx`` and ``hc`` are H(X) and H(C) in bits, ``hy`` H(Y) and
    ``ixy`` I(X;Y) = I(C;Y) in bits.
    """

    w: np.ndarray
    cond: np.ndarray
    labels: np.ndarray
    x_class: np.ndarray
    hx: float
    hc: float
    hy: float
    ixy: float


def reduce_joint(p_xy: np.ndarray) -> Reduced:
    """Merge inputs with identical p(y|x) and drop zero-probability inputs and labels.

    The IB problem depends on x only through p(x) and p(y|x): the update
    p(t|x) ∝ p(t) exp(-beta KL[p(y|x) ‖ p(y|t)]) gives inputs with equal p(y|x) equal
    encoders, so T is independent of X given the class C and I(X;T) = I(C;T),
    I(T;Y) unchanged. Solving on the classes is therefore exact.
    """
    p_x = p_xy.sum(axis=1)
    p_y = p_xy.sum(axis=0)
    keep_x = p_x > 0
    labels = np.flatnonzero(p_y > 0)
    cond_x = p_xy[keep_x][:, labels] / p_x[keep_x, None]
    _, first, inverse = np.unique(
        np.round(cond_x, GROUP_DECIMALS), axis=0, return_index=True, return_inverse=True
    )
    inverse = inverse.ravel()
    order = np.argsort(first)  # classes numbered by first appearance: stable, readable
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    classes = rank[inverse]
    n_c = order.size
    w = np.bincount(classes, weights=p_x[keep_x], minlength=n_c)
    joint_c = np.zeros((n_c, labels.size))
    np.add.at(joint_c, classes, p_xy[keep_x][:, labels])
    cond = joint_c / w[:, None]
    x_class = np.full(p_x.shape, -1, dtype=np.int64)
    x_class[keep_x] = classes
    return Reduced(
        w=w,
        cond=cond,
        labels=labels,
        x_class=x_class,
        hx=entropy_bits(p_x),
        hc=entropy_bits(w),
        hy=entropy_bits(p_y),
        ixy=mutual_information_bits(joint_c),
    )


def max_correlation_sq(w: np.ndarray, cond: np.ndarray) -> float:
    """The squared Hirschfeld-Gebelein-Renyi maximal correlation of p(c, y).

    It is the second largest squared singular value of p(c, y) / sqrt(p(c) p(y)); the
    trivial IB solution (T independent of X) loses stability at beta = 1 / rho^2.
    """
    p_y = w @ cond
    b = np.sqrt(w)[:, None] * cond / np.sqrt(p_y)[None, :]
    s = np.linalg.svd(b, compute_uv=False)
    return float(s[1] ** 2) if s.size > 1 else 0.0
