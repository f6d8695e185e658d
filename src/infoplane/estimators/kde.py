"""Pairwise-distance (Kolchinsky-Tracey) bounds, as used by Saxe et al. (ICLR 2018).

What it estimates
-----------------
A *bound* on a quantity of the *noisy* network T + Z, Z ~ N(0, sigma2 I), with T
uniform over the n activations h_1..h_n. T + Z is an equal-weight Gaussian mixture,
and Kolchinsky & Tracey (2017) bound its entropy by pairwise distances between the
components: H(T+Z) <= H(Z) + Ĥ_KL and H(T+Z) >= H(Z) + Ĥ_BD, with, in nats,

    Ĥ_KL = -(1/n) Σ_i ln[(1/n) Σ_j exp(-‖h_i - h_j‖² / (2 sigma2))]   (KL divergence)
    Ĥ_BD = -(1/n) Σ_i ln[(1/n) Σ_j exp(-‖h_i - h_j‖² / (8 sigma2))]   (Bhattacharyya)

(between N(h_i, sigma2 I) and N(h_j, sigma2 I) the KL divergence is ‖h_i-h_j‖²/(2 sigma2)
and the Bhattacharyya distance ‖h_i-h_j‖²/(8 sigma2)). Since I(X;T+Z) = H(T+Z) - H(Z),
the H(Z) cancels and ``bound="upper"`` returns Ĥ_KL, ``bound="lower"`` returns Ĥ_BD,
converted to bits. This matches Saxe et al.'s code, where the Bhattacharyya estimator
is the KL one at variance 4 sigma2 plus (d/2) ln(1/4), which removes the difference in
H(Z). Both lie in [0, log2 n]; lower <= upper; both fall as sigma2 grows.

I(T;Y) = Ĥ(T) - Σ_y p(y) Ĥ(T | Y=y), the same pairwise formula within each class
(Saxe et al.). It is a difference of two bounds, so it is an *estimate*, not a bound.
It never exceeds H(Y) (each class's inner sum is part of the full one); it is clamped
at 0 as a safeguard (random searches found no negative value, but we have no proof).

Options
-------
bound : "upper" (default) or "lower"
    Which bound: KL (upper) or Bhattacharyya (lower).
sigma2 : float, default 0.1
    Variance of the added Gaussian noise, in squared activation units.

Cost
----
O(n² u) time (n samples, u units) by matrix products, in row blocks of at most
about 2**22 distances (32 MB of float64) at a time, so the memory is O(n u) for the
data plus a few such blocks: 10**4 samples of a 1024-unit layer need about 80 MB
for the data and about 100 MB of blocks. Every term of the inner sum is at most 1 and
the j = i term is exactly 1, so the sum needs no max-shift for stability.

References
----------
A. Kolchinsky, B. D. Tracey, "Estimating mixture entropy with pairwise distances",
Entropy 19(7):361, 2017. A. M. Saxe et al., "On the information bottleneck theory of
deep learning", ICLR 2018.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from infoplane.estimators._base import (
    Estimator,
    InformationEstimate,
    check_option,
    is_positive_real,
    register,
)

NAME = "kde"
BLOCK_ELEMENTS = 2**22
"""Distances held at once (rows x n); 32 MB of float64 per block."""

_SCALE = {"upper": 2.0, "lower": 8.0}
"""sigma2 multiplier in the exponent: KL divergence (upper), Bhattacharyya (lower)."""


def pairwise_mixture_term(T: np.ndarray, scale: float) -> float:
    """-(1/n) Σ_i ln[(1/n) Σ_j exp(-‖t_i - t_j‖² / scale)], in nats.

    ``T`` is (n, u) float64; computed in row blocks with ‖a-b‖² = ‖a‖²+‖b‖²-2a·b.
    """
    n = T.shape[0]
    T = T - T.mean(axis=0)  # centring keeps the expansion's rounding small
    sq = np.einsum("ij,ij->i", T, T)
    rows = max(1, BLOCK_ELEMENTS // n)
    total = 0.0
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        d2 = T[start:stop] @ T.T
        d2 *= -2.0
        d2 += sq[start:stop, None]
        d2 += sq[None, :]
        np.maximum(d2, 0.0, out=d2)  # rounding can leave -1e-16
        d2[np.arange(stop - start), np.arange(start, stop)] = 0.0
        d2 *= -1.0 / scale
        np.exp(d2, out=d2)  # every term <= 1, the diagonal == 1: no max-shift needed
        total += float(np.log(d2.sum(axis=1)).sum())
    return float(np.log(n)) - total / n


def _check_options(bound: object, sigma2: object) -> None:
    check_option(isinstance(bound, str) and bound in _SCALE, NAME, "bound", "'upper' or 'lower'",
                 bound)
    check_option(is_positive_real(sigma2), NAME, "sigma2", "> 0", sigma2)


def _validate(options: dict[str, Any]) -> dict[str, Any]:
    _check_options(options["bound"], options["sigma2"])
    return {"bound": options["bound"], "sigma2": float(options["sigma2"])}


def kde_information(
    T: np.ndarray,
    y: np.ndarray,
    *,
    X: np.ndarray | None = None,
    bound: str = "upper",
    sigma2: float = 0.1,
) -> InformationEstimate:
    """Kolchinsky-Tracey bound on I(X;T+Z) and estimate of I(T+Z;Y), in bits.

    Parameters
    ----------
    T : array (n_samples, n_units), float64
    y : array (n_samples,), int codes 0..K-1
    X : ignored
    bound : "upper" or "lower", default "upper"
    sigma2 : float, default 0.1
        Noise variance, squared activation units.

    Returns
    -------
    InformationEstimate
        ``ixt`` and ``ity`` in bits; no standard errors (deterministic).

    Examples
    --------
    >>> import numpy as np
    >>> T = 100.0 * np.arange(4.0)[:, None]      # far apart relative to sigma
    >>> est = kde_information(T, np.array([0, 0, 1, 1]))
    >>> round(est.ixt, 6), round(est.ity, 6)
    (2.0, 1.0)
    """
    del X  # compares the layer with the labels only
    _check_options(bound, sigma2)
    scale = _SCALE[bound] * float(sigma2)
    h_t = pairwise_mixture_term(T, scale)
    counts = np.bincount(y)
    h_t_given_y = sum(
        counts[c] / y.size * pairwise_mixture_term(T[y == c], scale) for c in np.flatnonzero(counts)
    )
    ixt = max(0.0, h_t) / np.log(2)
    ity = max(0.0, h_t - h_t_given_y) / np.log(2)
    return InformationEstimate(ixt=float(ixt), ity=float(ity))


KDE = register(
    Estimator(
        name=NAME,
        estimate=kde_information,
        measures="pairwise-distance bound on I(X;T+Z) of the noisy network, Z ~ N(0, sigma2 I)",
        defaults={"bound": "upper", "sigma2": 0.1},
        validate=_validate,
    )
)
