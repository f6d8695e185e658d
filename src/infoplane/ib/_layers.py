"""Network layers against the IB bound: information, gap and fitted beta (bits)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import logsumexp, xlogy

from infoplane.errors import InfoplaneError, check
from infoplane.ib._checks import bad, conditional, marginal
from infoplane.ib._info import GROUP_DECIMALS, LN2, mutual_information_bits
from infoplane.ib._kernel import LOG_FLOOR
from infoplane.ib._solver import IBCurve

CURVE_ATOL = 1e-6
"""I(X;Y) of the layer's p(x, y) and of the curve may differ by this many bits at most."""

BETA_BOUNDS = (1e-2, 1e4)
"""The default bracket of the beta fit."""

RESIDUAL_ATOL = 1e-12
"""A layer whose I(X;Y) - I(T;Y) is below this (nats) keeps all the information: its
fit objective decreases in beta for ever and beta* is the upper bound."""

KL_ZERO = 1e-12
"""KL[p(y|x) ‖ p(y|t)] (nats) at most this counts as 0: code t has x's own p(y|x)."""

BETA_XATOL = 1e-4
"""Tolerance of the fit on log(beta): beta* is found to within a factor exp(1e-4)."""


@dataclass(frozen=True, eq=False)
class LayerIB:
    """A deterministic layer T = t(X) against the IB bound (bits).

    Floats for one layer (:func:`layer_against_bound`), arrays of shape (points,) for
    many (:func:`layers_against_bound`). Unpacks as ``ixt, ity, gap, beta`` (the
    residual ``kl_at_beta`` is an attribute only).

    Attributes
    ----------
    ixt : float or ndarray
        I(X;T) = H(T), bits.
    ity : float or ndarray
        I(T;Y), bits, from the exact p(y|x).
    gap : float or ndarray
        The bound's I(T;Y) at this I(X;T) minus the layer's I(T;Y), bits; >= 0 up to
        the accuracy of the curve (a small negative value means the layer beats the
        computed envelope, which then lies that much below the true bound).
    beta : float or ndarray
        beta* = argmin_beta E_x KL[p_layer(t|x) ‖ p_beta^IB(t|x)]; NaN when undefined
        (all codes share one p(y|t), so every beta fits equally).
    kl_at_beta : float or ndarray
        The residual of the fit, E_x KL[p_layer(t|x) ‖ p_beta*(t|x)] in bits: 0 when the
        layer's encoder satisfies the IB self-consistent equations at beta* exactly,
        at most I(X;T) = H(T) (the IB encoder then spreads x over every code of the
        same p(y|t); a layer whose codes all share one p(y|t) gets H(T)).
    kl_floor : float or ndarray
        H(T | C) in bits, C the class of x by its p(y|x): the least ``kl_at_beta`` any
        encoder that sees x only through p(y|x) can reach, which includes the IB encoder
        at every beta. A deterministic layer that keeps inputs of equal p(y|x) apart
        (binning a wide layer) has a large residual by construction; the part of the
        residual a choice of beta can explain is ``kl_at_beta - kl_floor`` (>= 0), out
        of ``ixt - kl_floor`` = I(T;C) for the trivial encoder p(t) (beta = 0).
    """

    ixt: Any
    ity: Any
    gap: Any
    beta: Any
    kl_at_beta: Any = float("nan")
    kl_floor: Any = float("nan")

    def __iter__(self) -> Iterator[Any]:
        return iter((self.ixt, self.ity, self.gap, self.beta))


class _Inputs(NamedTuple):
    """The layer-independent part: inputs of p(x) > 0, their p(y|x) classes."""

    p_x: np.ndarray  # (m,) over the kept inputs
    cond: np.ndarray  # (m, n_y)
    keep: np.ndarray  # (n_x,) bool
    x_class: np.ndarray  # (m,) class index of each kept input
    w: np.ndarray  # (n_c,) p(c)
    cond_c: np.ndarray  # (n_c, n_y) p(y|c)
    neg_h: np.ndarray  # (n_c,) Σ_y p(y|c) ln p(y|c), nats
    plogp_y: float  # Σ_y p(y) ln p(y), nats
    ixy: float  # bits


def layer_against_bound(
    t_of_x: Any,
    p_y_given_x: Any,
    curve: IBCurve,
    *,
    p_x: Any = None,
    beta_bounds: tuple[float, float] = BETA_BOUNDS,
) -> LayerIB:
    """I(X;T), I(T;Y), the gap to the IB bound and the fitted beta of a deterministic layer.

    Parameters
    ----------
    t_of_x : array_like of int, shape (n_x,)
        The layer's (binned) pattern code for each input: the encoder p(t|x) puts all
        its mass on t(x). Only equality of codes matters.
    p_y_given_x : array_like, shape (n_x, n_y)
        The exact p(y|x), rows summing to 1.
    curve : IBCurve
        The bound, from :func:`ib_curve` of the same p(x, y).
    p_x : array_like, shape (n_x,), optional
        The input distribution; uniform by default.
    beta_bounds : (float, float), default (1e-2, 1e4)
        The bracket of the beta fit.

    Returns
    -------
    LayerIB
        ``ixt``, ``ity``, ``gap`` in bits, ``beta`` and ``kl_at_beta`` (bits).

    Notes
    -----
    With p(t) = Σ_{x: t(x)=t} p(x) and p(y|t) = Σ_x p(y|x) p(x|t),
    I(X;T) = H(T) and I(T;Y) = H(Y) - H(Y|T). The gap is ``curve.ity_at(ixt) - ity``:
    the envelope interpolated, I(X;Y) beyond its end.

    beta* is the fit of Shwartz-Ziv & Tishby (2017): the IB encoder built from the
    layer's own p(t) and p(y|t),

        p_beta(t|x) = p(t) exp(-beta KL[p(y|x) ‖ p(y|t)]) / Z(x, beta),

    closest to the layer's one-hot encoder, i.e. minimising
    E_x[-log p_beta(t(x)|x)] = H(T) + beta (I(X;Y) - I(T;Y)) + E_x log Z(x, beta)
    (nats); it is convex in beta and is minimised over log beta in ``beta_bounds``
    (:func:`scipy.optimize.minimize_scalar`, bounded). Z sums over the distinct
    p(y|t) (codes with equal p(y|t) pooled) and E_x over inputs with distinct p(y|x),
    which is exact and keeps it small. A layer keeping all of I(X;Y) is fitted best
    by beta -> inf and gets the upper bound, with ``kl_at_beta`` the objective's limit
    there (each x spread over the codes of its own p(y|x)), not its value at the
    bound, which is larger where two p(y|x) differ by little; a layer whose codes all
    share one p(y|t) (for instance a constant layer) fits every beta equally and gets NaN.
    KL[p(y|x) ‖ p(y|t)] with p(y|t) = 0 < p(y|x) counts log p(y|t) as about -708
    (``LOG_FLOOR``), not -inf.

    References
    ----------
    R. Shwartz-Ziv, N. Tishby, "Opening the black box of deep neural networks via
    information", arXiv:1703.00810, 2017.
    """
    func = "layer_against_bound"
    inputs = _prepare(p_y_given_x, p_x, curve, func)
    codes = _codes(t_of_x, inputs.keep.size, func, ndim=1)[inputs.keep]
    bounds = _bounds(beta_bounds, func)
    ixt, ity, beta, kl, floor = (float(v) for v in _one_layer(codes, inputs, bounds))
    gap = float(curve.ity_at(ixt)) - ity
    return LayerIB(ixt=ixt, ity=ity, gap=gap, beta=beta, kl_at_beta=kl, kl_floor=floor)


def layers_against_bound(
    codes: Any,
    p_y_given_x: Any,
    curve: IBCurve,
    *,
    p_x: Any = None,
    beta_bounds: tuple[float, float] = BETA_BOUNDS,
) -> LayerIB:
    """:func:`layer_against_bound` for many layers at once.

    Parameters
    ----------
    codes : array_like of int, shape (points, n_x)
        One row of pattern codes per (seed, epoch, layer) point.
    p_y_given_x, curve, p_x, beta_bounds
        As in :func:`layer_against_bound`.

    Returns
    -------
    LayerIB
        Arrays ``ixt``, ``ity``, ``gap`` (bits), ``beta``, ``kl_at_beta`` and
        ``kl_floor`` (bits), each of shape (points,).
        Rows that are the same partition of the inputs are computed once.
    """
    func = "layers_against_bound"
    inputs = _prepare(p_y_given_x, p_x, curve, func)
    rows = _codes(codes, inputs.keep.size, func, ndim=2)[:, inputs.keep]
    bounds = _bounds(beta_bounds, func)
    out = np.empty((rows.shape[0], 5))
    seen: dict[bytes, int] = {}
    for i, row in enumerate(rows):
        _, first, inverse = np.unique(row, return_index=True, return_inverse=True)
        canonical = np.argsort(np.argsort(first))[inverse]  # numbered by first appearance
        key = canonical.tobytes()
        if key in seen:
            out[i] = out[seen[key]]
        else:
            seen[key] = i
            out[i] = _one_layer(canonical, inputs, bounds)
    gap = curve.ity_at(out[:, 0]) - out[:, 1]
    return LayerIB(
        ixt=out[:, 0].copy(), ity=out[:, 1].copy(), gap=gap, beta=out[:, 2].copy(),
        kl_at_beta=out[:, 3].copy(), kl_floor=out[:, 4].copy(),
    )


def _prepare(p_y_given_x: Any, p_x: Any, curve: Any, func: str) -> _Inputs:
    cond_all = conditional(p_y_given_x, func)
    px_all = marginal(p_x, cond_all.shape[0], func)
    check(isinstance(curve, IBCurve), bad("curve", func, "an IBCurve", type(curve).__name__))
    keep = px_all > 0
    p_x, cond = px_all[keep], cond_all[keep]
    _, x_class = np.unique(np.round(cond, GROUP_DECIMALS), axis=0, return_inverse=True)
    x_class = x_class.ravel()
    n_c = int(x_class.max()) + 1
    w = np.bincount(x_class, weights=p_x, minlength=n_c)
    joint_c = np.zeros((n_c, cond.shape[1]))
    np.add.at(joint_c, x_class, p_x[:, None] * cond)
    cond_c = joint_c / w[:, None]
    ixy = mutual_information_bits(joint_c)
    if abs(ixy - curve.ixy) > CURVE_ATOL:
        raise InfoplaneError(
            f"The 'curve' parameter of {func} must be the IB curve of the same p(x, y): "
            f"its I(X;Y) is {curve.ixy:.6g} bits, this p(x, y) has {ixy:.6g} bits."
        )
    p_y = w @ cond_c
    return _Inputs(
        p_x=p_x,
        cond=cond,
        keep=keep,
        x_class=x_class,
        w=w,
        cond_c=cond_c,
        neg_h=xlogy(cond_c, cond_c).sum(axis=1),
        plogp_y=float(xlogy(p_y, p_y).sum()),
        ixy=ixy,
    )


def _codes(codes: Any, n_x: int, func: str, ndim: int) -> np.ndarray:
    name = "t_of_x" if ndim == 1 else "codes"
    arr = np.asarray(codes)
    check(
        arr.dtype.kind in "iub",
        bad(name, func, "an array of integer codes", f"dtype {arr.dtype}"),
    )
    shape = f"({n_x},)" if ndim == 1 else f"(points, {n_x})"
    check(
        arr.ndim == ndim and arr.shape[-1] == n_x,
        bad(name, func, f"of shape {shape}", f"shape {arr.shape}"),
    )
    return arr.astype(np.int64, copy=False)


def _bounds(beta_bounds: Any, func: str) -> tuple[float, float]:
    try:
        low, high = (float(b) for b in beta_bounds)
    except (TypeError, ValueError):
        raise InfoplaneError(bad("beta_bounds", func, "a pair (low, high)", beta_bounds)) from None
    check(
        np.isfinite(high) and 0 < low < high,
        bad("beta_bounds", func, "a pair with 0 < low < high", beta_bounds),
    )
    return low, high


def _one_layer(codes: np.ndarray, inputs: _Inputs, bounds: tuple[float, float]) -> np.ndarray:
    """(ixt, ity, beta, kl_at_beta, kl_floor) of one layer; codes over the kept inputs; bits."""
    _, t = np.unique(codes, return_inverse=True)
    t = t.ravel()
    n_t = int(t.max()) + 1
    pt = np.bincount(t, weights=inputs.p_x, minlength=n_t)
    pty = np.zeros((n_t, inputs.cond.shape[1]))
    np.add.at(pty, t, inputs.p_x[:, None] * inputs.cond)
    plogp_t = float(xlogy(pt, pt).sum())
    ht = max(0.0 - plogp_t / LN2, 0.0)
    ity = (float(xlogy(pty, pty).sum()) - plogp_t - inputs.plogp_y) / LN2
    ity = min(max(ity, 0.0), ht, inputs.ixy)  # rounding only: 0 <= I(T;Y) <= min(H(T), I(X;Y))
    beta, kl = _fit_beta(pt, pty, ht, ity, inputs, bounds)
    return np.array([ht, ity, beta, kl, _conditional_entropy(t, inputs)])


def _conditional_entropy(t: np.ndarray, inputs: _Inputs) -> float:
    """H(T | C) in bits, C the p(y|x) class of each kept input (``kl_floor``)."""
    n_c = inputs.w.size
    joint = np.bincount(t * n_c + inputs.x_class, weights=inputs.p_x)
    h_tc = -float(xlogy(joint, joint).sum())
    h_c = -float(xlogy(inputs.w, inputs.w).sum())
    return max(h_tc - h_c, 0.0) / LN2


def _fit_beta(
    pt: np.ndarray,
    pty: np.ndarray,
    ht: float,
    ity: float,
    inputs: _Inputs,
    bounds: tuple[float, float],
) -> tuple[float, float]:
    """beta* of Shwartz-Ziv & Tishby's fit and the fit's objective there, in bits.

    The objective E_x[-log p_beta(t(x)|x)] is E_x KL[p_layer(t|x) ‖ p_beta(t|x)] for
    the layer's one-hot encoder (see :func:`layer_against_bound`).
    """
    residual = (inputs.ixy - ity) * LN2  # E_x KL[p(y|x) ‖ p(y|t(x))] = I(X;Y|T), nats
    p_y_t = pty / pt[:, None]
    distinct, group = np.unique(np.round(p_y_t, GROUP_DECIMALS), axis=0, return_inverse=True)
    if distinct.shape[0] < 2:  # one p(y|t): p_beta(t|x) = p(t) for every beta
        return (bounds[1] if residual <= RESIDUAL_ATOL else float("nan")), ht
    group = group.ravel()
    p_u = np.bincount(group, weights=pt)
    p_yu = np.zeros((p_u.size, pty.shape[1]))
    np.add.at(p_yu, group, pty)
    with np.errstate(divide="ignore"):
        log_p_y_u = np.log(p_yu / p_u[:, None])
    np.maximum(log_p_y_u, LOG_FLOOR, out=log_p_y_u)
    kl = inputs.neg_h[:, None] - inputs.cond_c @ log_p_y_u.T  # (n_c, n_u), nats
    log_p_u = np.log(p_u)
    h_nats = ht * LN2

    def objective(log_beta: float) -> float:
        beta = np.exp(log_beta)
        log_z = logsumexp(log_p_u[None, :] - beta * kl, axis=1)
        return h_nats + beta * residual + float(inputs.w @ log_z)

    low, high = np.log(bounds[0]), np.log(bounds[1])
    if residual <= RESIDUAL_ATOL:  # the fit objective decreases for ever: beta -> inf
        # its infimum: each x spread over the codes whose p(y|t) is its own p(y|x)
        z_inf = (kl <= KL_ZERO) @ p_u
        value = objective(high)
        if (z_inf > 0).all():
            value = min(value, h_nats + float(inputs.w @ np.log(z_inf)))
        return bounds[1], max(value, 0.0) / LN2
    res = minimize_scalar(
        objective, bounds=(low, high), method="bounded", options={"xatol": BETA_XATOL}
    )
    # The bounded method never evaluates the ends; a minimum at an end is reported there.
    for end, beta_end in ((low, bounds[0]), (high, bounds[1])):
        value = objective(end)
        if value <= res.fun:
            return beta_end, max(value, 0.0) / LN2
    return float(np.exp(res.x)), max(float(res.fun), 0.0) / LN2
