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
(one compiled pass over the centres per draw, see Cost) and average. The own
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
Memory O(n u + n_samples) plus blocks of about 2**22 / n draws at a time; the noise is
drawn block by block. One compiled pass (:mod:`._pairwise`) computes each draw's
distances to all centres, their exponentials (shifted by the row's largest) and the
sums over all centres and over the draw's class together, in float32 where its
rounding changes the result by under 1e-4 bits (sums in float64), on both cores.
The activations are centred first, so float32 keeps the shift invariance. Torch
tensors, or ``device=`` (e.g. ``"cuda"``), compute the sums in PyTorch on that device.

References
----------
Z. Goldfeld, E. van den Berg, K. Greenewald, I. Melnyk, N. Nguyen, B. Kingsbury,
Y. Polyanskiy, "Estimating information flow in deep neural networks", ICML 2019.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.spatial.distance import cdist
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
from infoplane.estimators._pairwise import NoisyCentres, is_torch_tensor

NAME = "noisy"
BLOCK_ELEMENTS = 2**22
"""Draw-to-centre distances held at once (draws x n); 32 MB of float64 per block."""
DRAWS_PER_POINT = 4
"""Default number of Monte Carlo draws per activation (``n_samples=None``)."""


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
    *,
    dtype: type | None = None,
    device: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-draw Monte Carlo terms (f, g) in nats, for draws V = T[components] + sigma Z.

    ``T`` (n, u) must be sorted by the labels ``y`` (0..K-1, each present).
    f = ln n - ln Σ_j w_j / w_i and g = ln p_y(V) - ln p(V), with w_j the Gaussian
    weight of centre j at V and i = the draw's own centre. ``Z`` is the standard
    normal noise (draws, u), or a generator that draws it block by block, which gives
    the same numbers without holding all of it (a generator's stream does not depend
    on how its draws are split). The sums are computed in ``dtype`` (float32 or
    float64; None: float32 where its rounding is negligible, ``_pairwise.work_dtype``),
    or with PyTorch on ``device`` (a torch tensor ``T`` selects its own device).
    """
    if device is not None or is_torch_tensor(T):
        from infoplane.estimators import _torch_pairwise

        centred_t = _torch_pairwise.centred_on(T, device)
        centres: Any = _torch_pairwise.NoisyCentres(centred_t, y, sigma, dtype)
        centred = centred_t.cpu().numpy()
    else:
        T = np.asarray(T, dtype=np.float64)
        centred = T - T.mean(axis=0)  # float32 then keeps the shift invariance
        centres = NoisyCentres(centred, y, sigma, dtype)
    n, units = centred.shape
    counts = np.bincount(y)
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
        V = centred[own] + noise
        noise_sq = np.einsum("ij,ij->i", noise, noise)  # ‖V - t_own‖², exactly
        log_all, log_class = centres.log_sums(V, own, noise_sq)
        f[start:stop] = np.log(n) - log_all
        g[start:stop] = (log_class - np.log(counts[y[own]])) - (log_all - np.log(n))
    return f, g


def _reference_log_ratios(
    T: np.ndarray, y: np.ndarray, components: np.ndarray, Z: np.ndarray, sigma: float
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`mixture_log_ratios` by the plain formula, float64: SciPy ``cdist`` and
    ``logsumexp`` over all centres and over the draw's class. For tests and benchmarks."""
    n = T.shape[0]
    noise = sigma * Z
    V = T[components] + noise
    b = ((noise**2).sum(axis=1)[:, None] - cdist(V, T, "sqeuclidean")) / (2.0 * sigma**2)
    b[np.arange(components.size), components] = 0.0  # the own centre, exactly
    same = y[components][:, None] == y[None, :]
    log_all = logsumexp(b, axis=1)
    log_class = logsumexp(np.where(same, b, -np.inf), axis=1)
    counts = np.bincount(y)
    f = np.log(n) - log_all
    return f, (log_class - np.log(counts[y[components]])) - (log_all - np.log(n))


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
    device: str | None = None,
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
    device : str or None, default None
        A torch device (e.g. "cuda") to compute on with PyTorch; None computes on the
        CPU, or on the device of ``T`` when it is a torch tensor.

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
    y = np.asarray(y.cpu() if is_torch_tensor(y) else y)
    n = T.shape[0]
    draws = DRAWS_PER_POINT * n if n_samples is None else int(n_samples)
    order = np.argsort(y, kind="stable")
    if is_torch_tensor(T):
        T_sorted = T[_torch_index(order, T)]
    else:
        T_sorted = T[order]
    components = draw_components(n, draws, rng)
    f, g = mixture_log_ratios(T_sorted, y[order], components, rng, float(sigma), device=device)
    return _summary(f, g)


def _torch_index(order: np.ndarray, T: Any) -> Any:
    """``order`` as an index tensor on the device of the torch tensor ``T``."""
    import torch

    return torch.as_tensor(order, device=T.device)


def _summary(f: np.ndarray, g: np.ndarray) -> InformationEstimate:
    """Means of the per-draw terms (nats) clamped at 0, and their stderrs, in bits."""
    to_bits = 1.0 / np.log(2)
    root = np.sqrt(f.size)
    return InformationEstimate(
        ixt=float(max(0.0, f.mean()) * to_bits),
        ity=float(max(0.0, g.mean()) * to_bits),
        ixt_stderr=float(f.std(ddof=1) / root * to_bits),
        ity_stderr=float(g.std(ddof=1) / root * to_bits),
    )


def _reference(
    T: np.ndarray, y: np.ndarray, sigma: float, n_samples: int | None, seed: int
) -> InformationEstimate:
    """:func:`noisy_information` with the same draws by the plain float64 formula
    (:func:`_reference_log_ratios`, 256 draws at a time). For tests and benchmarks."""
    rng = np.random.default_rng(seed)
    n = T.shape[0]
    draws = DRAWS_PER_POINT * n if n_samples is None else int(n_samples)
    order = np.argsort(y, kind="stable")
    T, y = T[order] - T.mean(axis=0), y[order]
    components = draw_components(n, draws, rng)
    Z = rng.standard_normal((draws, T.shape[1]))
    parts = [
        _reference_log_ratios(T, y, components[i : i + 256], Z[i : i + 256], sigma)
        for i in range(0, draws, 256)
    ]
    return _summary(np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))


NOISY = register(
    Estimator(
        name=NAME,
        estimate=noisy_information,
        measures="Monte Carlo I(X;T+Z), I(T+Z;Y) of the noisy network, Z ~ N(0, sigma^2 I)",
        defaults={"sigma": 0.1, "n_samples": None, "seed": 0},
        validate=_validate,
    )
)
