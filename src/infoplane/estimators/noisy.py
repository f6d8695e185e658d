"""The noisy-network view of Goldfeld et al. (ICML 2019), by sample propagation.

What it estimates
-----------------
A quantity of the *noisy* network: the layer's output plus isotropic Gaussian noise,
T + Z with Z ~ N(0, sigma² I), where T is uniform over the n activations t_1..t_n of
the n equally likely inputs. Unlike the deterministic network's I(X;T) (constant or
infinite), I(X;T+Z) is finite and meaningful, and it is what this returns:

    I(X;T+Z) = h(T+Z) - h(Z),      h(T+Z) = -E ln p(V),  p = (1/n) Σ_j N(t_j, sigma² I),

the differential entropy of the uniform Gaussian mixture centred on the activations,
estimated by Monte Carlo: draw V = t_i + sigma z from the mixture, evaluate ln p(V)
(in row blocks by matrix products and ``logsumexp``) and average. The own
component's exponent -‖z‖²/2, whose mean -d/2 is known exactly, is integrated in
closed form instead of sampled (a control variate that changes nothing in
expectation): each draw contributes

    f = ln n - ln Σ_j exp(-(‖V - t_j‖² - ‖V - t_i‖²) / (2 sigma²)),

and I(X;T+Z) = E f <= ln n exactly; far-apart activations give exactly log2 n. For
the labels, the same draws serve the class-conditional mixtures p_y:

    I(T+Z;Y) = h(T+Z) - Σ_y p(y) h(T+Z | Y=y) = E[ln p_{y_i}(V) - ln p(V)],

(the common draws make the difference far less noisy than two separate estimates).
Draws are stratified: each activation is the centre of ``n_samples // n`` draws,
and the remaining ``n_samples % n`` draws go to distinct activations chosen at
random. ``ixt_stderr`` and ``ity_stderr`` are the standard errors of the two Monte
Carlo means (sample standard deviation / sqrt(n_samples), in bits); they treat the
draws as independent, which overstates the error of stratified draws a little, so
they are conservative. Means are clamped at 0 (the stderr is of the unclamped mean).

Options
-------
sigma : float, default 0.1
    Standard deviation of the noise, in activation units.
n_samples : int >= 2 or None, default None
    Number of Monte Carlo draws; None means 4 per activation (4 n).
seed : int >= 0 or numpy.random.Generator, default 0
    Seeds the draws (``numpy.random.default_rng(seed)``).

Cost
----
O(n_samples x n x u) time (n activations, u units): 4 n² u with the default.
Memory O(n u + n_samples) plus row blocks of about 2**22 float64 entries (32 MB) at
a time; the noise is drawn block by block.

References
----------
Z. Goldfeld, E. van den Berg, K. Greenewald, I. Melnyk, N. Nguyen, B. Kingsbury,
Y. Polyanskiy, "Estimating information flow in deep neural networks", ICML 2019.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import logsumexp

from infoplane.estimators._base import (
    Estimator,
    InformationEstimate,
    check_option,
    check_seed,
    is_int_at_least,
    is_positive_real,
    make_rng,
    register,
)

NAME = "noisy"
BLOCK_ELEMENTS = 2**22
"""Draw-to-centre distances held at once (draws x n); 32 MB of float64 per block."""
DRAWS_PER_POINT = 4
"""Default number of Monte Carlo draws per activation (``n_samples=None``)."""
_SAFE_SHIFT = 600.0
"""Max-shifts (nats) below which exp(-shift) cannot underflow float64 (limit ~708)."""


def draw_components(n: int, n_samples: int, rng: np.random.Generator) -> np.ndarray:
    """Stratified mixture components: every index ``n_samples // n`` times, the rest
    distinct indices at random."""
    full = np.tile(np.arange(n), n_samples // n)
    rest = rng.choice(n, size=n_samples % n, replace=False)
    return np.concatenate([full, rest])


def mixture_log_ratios(
    T: np.ndarray,
    y: np.ndarray,
    components: np.ndarray,
    Z: np.ndarray | np.random.Generator,
    sigma: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-draw Monte Carlo terms (f, g) in nats, for draws V = T[components] + sigma Z.

    ``T`` (n, u) must be sorted by the labels ``y`` (0..K-1, each present).
    f = ln n - ln Σ_j w_j / w_i and g = ln p_y(V) - ln p(V), with w_j the Gaussian
    weight of centre j at V and i = the draw's own centre. ``Z`` is the standard
    normal noise (draws, u), or a generator that draws it block by block, which gives
    the same numbers without holding all of it (a generator's stream does not depend
    on how its draws are split).
    """
    n, units = T.shape
    T = T - T.mean(axis=0)  # centring keeps the expansion's rounding small
    sq = np.einsum("ij,ij->i", T, T)
    counts = np.bincount(y)
    starts = np.concatenate([[0], np.cumsum(counts)])
    draws = components.size
    f = np.empty(draws)
    g = np.empty(draws)
    rows = max(1, BLOCK_ELEMENTS // n)
    for start in range(0, draws, rows):
        stop = min(draws, start + rows)
        own = components[start:stop]
        if isinstance(Z, np.random.Generator):
            noise = sigma * Z.standard_normal((stop - start, units))
        else:
            noise = sigma * Z[start:stop]
        V = T[own] + noise
        # b_j = -(‖V - t_j‖² - ‖V - t_own‖²) / (2 sigma²), with ‖V - t_own‖² = ‖noise‖²
        b = V @ T.T
        b *= 2.0
        b -= sq[None, :]
        b -= (np.einsum("ij,ij->i", V, V) - np.einsum("ij,ij->i", noise, noise))[:, None]
        b *= 1.0 / (2.0 * sigma**2)
        b[np.arange(stop - start), own] = 0.0  # exact for the own centre
        log_all, log_class = _log_sum_exp_rows(b, own, starts)
        f[start:stop] = np.log(n) - log_all
        g[start:stop] = (log_class - np.log(counts[y[own]])) - (log_all - np.log(n))
    return f, g


def _log_sum_exp_rows(
    b: np.ndarray, own: np.ndarray, starts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """ln Σ_j exp(b_rj) over all columns, and over the columns of row r's own class.

    Column j of class c lies in ``starts[c]:starts[c+1]``; the class of row r is that
    of its own column ``own[r]``, where b is 0. Overwrites ``b``. One pass shifted by
    the row maximum (much faster than ``scipy.special.logsumexp``). The own-class sum
    is then at least exp(-shift); rows whose shift exceeds ``_SAFE_SHIFT`` nats
    (possible only for layers of about a thousand units or more) are redone exactly.
    """
    shift = b.max(axis=1)
    risky = np.flatnonzero(shift > _SAFE_SHIFT)
    saved = b[risky]  # a copy, before the in-place exp
    b -= shift[:, None]
    np.exp(b, out=b)
    log_all = shift + np.log(b.sum(axis=1))
    cls = np.searchsorted(starts, own, side="right") - 1
    log_class = np.empty(b.shape[0])
    for c in np.unique(cls):
        mine = np.flatnonzero(cls == c)
        log_class[mine] = shift[mine] + np.log(b[mine, starts[c] : starts[c + 1]].sum(axis=1))
    for row, values in zip(risky, saved, strict=True):
        c = cls[row]
        log_class[row] = logsumexp(values[starts[c] : starts[c + 1]])
    return log_all, log_class


def _check_options(sigma: object, n_samples: object) -> None:
    check_option(is_positive_real(sigma), NAME, "sigma", "> 0", sigma)
    check_option(
        n_samples is None or is_int_at_least(n_samples, 2),
        NAME,
        "n_samples",
        "an int >= 2 or None",
        n_samples,
    )


def _validate(options: dict[str, Any]) -> dict[str, Any]:
    _check_options(options["sigma"], options["n_samples"])
    check_seed(options["seed"], NAME)
    return {**options, "sigma": float(options["sigma"])}


def noisy_information(
    T: np.ndarray,
    y: np.ndarray,
    *,
    X: np.ndarray | None = None,
    sigma: float = 0.1,
    n_samples: int | None = None,
    seed: int | np.random.Generator = 0,
) -> InformationEstimate:
    """Monte Carlo I(X;T+Z) and I(T+Z;Y) of the noisy layer, in bits, with stderrs.

    Parameters
    ----------
    T : array (n_samples, n_units), float64
    y : array (n_samples,), int codes 0..K-1
    X : ignored
    sigma : float, default 0.1
        Noise standard deviation, activation units.
    n_samples : int or None, default None (4 per activation)
    seed : int or numpy.random.Generator, default 0

    Returns
    -------
    InformationEstimate
        ``ixt``, ``ity`` in bits and their Monte Carlo standard errors (bits).

    Examples
    --------
    >>> import numpy as np
    >>> T = 100.0 * np.arange(4.0)[:, None]      # far apart relative to sigma
    >>> est = noisy_information(T, np.array([0, 0, 1, 1]))
    >>> round(est.ixt, 6), round(est.ity, 6)
    (2.0, 1.0)
    """
    del X  # the noisy channel X -> T + Z needs only the activations
    _check_options(sigma, n_samples)
    rng = make_rng(seed, NAME)
    n = T.shape[0]
    draws = DRAWS_PER_POINT * n if n_samples is None else int(n_samples)
    order = np.argsort(y, kind="stable")
    components = draw_components(n, draws, rng)
    f, g = mixture_log_ratios(T[order], y[order], components, rng, float(sigma))
    to_bits = 1.0 / np.log(2)
    root = np.sqrt(draws)
    return InformationEstimate(
        ixt=float(max(0.0, f.mean()) * to_bits),
        ity=float(max(0.0, g.mean()) * to_bits),
        ixt_stderr=float(f.std(ddof=1) / root * to_bits),
        ity_stderr=float(g.std(ddof=1) / root * to_bits),
    )


NOISY = register(
    Estimator(
        name=NAME,
        estimate=noisy_information,
        measures="Monte Carlo I(X;T+Z), I(T+Z;Y) of the noisy network, Z ~ N(0, sigma^2 I)",
        defaults={"sigma": 0.1, "n_samples": None, "seed": 0},
        validate=_validate,
    )
)
