"""The Information Bottleneck curve of a discrete p(x, y), by deterministic annealing."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from infoplane.errors import check
from infoplane.ib import _kernel
from infoplane.ib._checks import (
    as_float_array,
    bad,
    conditional,
    joint,
    marginal,
    positive_float,
    positive_int,
)
from infoplane.ib._envelope import hull_indices
from infoplane.ib._info import Reduced, max_correlation_sq, reduce_joint

if TYPE_CHECKING:
    import pandas as pd

GRID_START = 1e-3
"""The default grid's first beta is beta_c (1 + GRID_START), beta_c = 1 / rho^2(X;Y)."""

GRID_SPAN = 1e3
"""The default grid's last beta is beta_c (1 + GRID_SPAN)."""

GRID_BELOW = 0.2
"""Fraction of the default grid log-spaced on [1, beta_c): beta <= 1 always gives T
constant, but a solution of lower objective can appear below beta_c when the curve
leaves the origin steeper than rho^2 (a first-order transition, found by the
downward sweep)."""


def _frozen(a: Any, dtype: Any = np.float64) -> np.ndarray:
    arr = np.array(a, dtype=dtype)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class IBPoints:
    """The solutions found along the beta sweep, one per beta (bits).

    Attributes
    ----------
    beta : ndarray, shape (n_betas,)
        The trade-off parameters, increasing.
    ixt, ity : ndarray, shape (n_betas,)
        I(X;T) and I(T;Y) in bits of the best encoder found at each beta (the one of
        lower I(X;T) - beta I(T;Y) of the two sweeps).
    n_clusters : ndarray of int, shape (n_betas,)
        The number of distinct clusters |T| of that encoder.
    """

    beta: np.ndarray
    ixt: np.ndarray
    ity: np.ndarray
    n_clusters: np.ndarray


@dataclass(frozen=True, eq=False)
class IBCurve:
    """The Information Bottleneck bound of a p(x, y), in bits.

    Attributes
    ----------
    beta, ixt, ity : ndarray, shape (m,)
        The upper concave envelope of all the solutions found: its vertices in
        increasing I(X;T), from (0, 0) (beta = 0) to (H(X), I(X;Y)) (beta = inf).
        Every point below it is achieved by some encoder p(t|x), which makes it the
        bound; read it between vertices with :meth:`ity_at`.
    raw : IBPoints
        The solution at every beta of the sweep, before taking the envelope.
    converged : ndarray of bool, shape (n_betas,)
        Whether the iteration converged at each beta of ``raw``.
    n_iter : ndarray of int, shape (n_betas,)
        Iterations spent at each beta of ``raw`` (both sweeps).
    deterministic_labels : bool
        True when y is a function of x; the curve is then the trivial
        min(I(X;T), H(Y)) (Kolchinsky et al., 2019) and nothing is iterated.
    ixy, hx, hy : float
        I(X;Y), H(X) and H(Y) in bits.
    """

    beta: np.ndarray
    ixt: np.ndarray
    ity: np.ndarray
    raw: IBPoints
    converged: np.ndarray
    n_iter: np.ndarray
    deterministic_labels: bool
    ixy: float
    hx: float
    hy: float

    @property
    def all_converged(self) -> bool:
        """Whether the iteration converged at every beta."""
        return bool(np.all(self.converged))

    def ity_at(self, ixt: Any) -> np.ndarray:
        """The bound's I(T;Y) at ``ixt`` (bits): the envelope, and I(X;Y) beyond its end."""
        return np.interp(np.asarray(ixt, dtype=np.float64), self.ixt, self.ity, right=self.ixy)

    def to_frame(self) -> pd.DataFrame:
        """The envelope as a table with columns ``beta, ixt, ity`` (bits)."""
        import pandas as pd

        return pd.DataFrame({"beta": self.beta, "ixt": self.ixt, "ity": self.ity})


def labels_are_deterministic(p_y_given_x: Any, atol: float = 1e-12) -> bool:
    """Whether y is a function of x: every row of p(y|x) puts mass >= 1 - atol on one label.

    Parameters
    ----------
    p_y_given_x : array_like, shape (n_x, n_y)
        Rows p(y|x), each summing to 1.
    atol : float, default 1e-12
        Tolerance on the largest entry of each row.

    Examples
    --------
    >>> labels_are_deterministic([[1.0, 0.0], [0.0, 1.0]])
    True
    >>> labels_are_deterministic([[0.9, 0.1], [0.0, 1.0]])
    False
    """
    cond = conditional(p_y_given_x, "labels_are_deterministic")
    check(
        isinstance(atol, int | float) and 0 <= atol < 1,
        bad("atol", "labels_are_deterministic", "a float in the range [0, 1)", atol),
    )
    return bool(np.all(cond.max(axis=1) >= 1.0 - atol))


def ib_curve(
    p_xy: Any,
    *,
    betas: Any = None,
    n_betas: int = 200,
    beta_max: float | None = None,
    tol: float = 1e-8,
    max_iter: int = 5000,
    seed: int | np.random.Generator = 0,
) -> IBCurve:
    """The Information Bottleneck curve max I(T;Y) s.t. I(X;T) <= r of a discrete p(x, y).

    Parameters
    ----------
    p_xy : array_like, shape (n_x, n_y)
        The joint distribution, summing to 1 (to within 1e-6; it is renormalised).
        Zero rows and columns are allowed.
    betas : array_like, optional
        The trade-off parameters to solve at (> 0; sorted and deduplicated). By
        default ``n_betas`` values around beta_c = 1 / rho^2, where the trivial
        solution (T constant) becomes unstable (rho the maximal correlation of X
        and Y): 80% of them beta_c (1 + s), s log-spaced from 1e-3 to
        ``beta_max / beta_c - 1``, so that the points also cover the curve near
        I(X;T) = 0, and 20% log-spaced on [1, beta_c), where a first-order
        transition can put solutions better than T constant.
    n_betas : int, default 200
        Size of the default grid.
    beta_max : float, optional
        Largest beta of the default grid; default 1000 beta_c.
    tol : float, default 1e-8
        Convergence: iterate at each beta until one iteration lowers
        I(X;T) - beta I(T;Y) by less than ``tol * beta`` bits. A point stopped early
        is still achieved by its encoder, at most its excess objective / beta bits
        below the bound.
    max_iter : int, default 5000
        Iterations allowed per beta and sweep; a warning names the betas that hit it.
    seed : int or numpy.random.Generator, default 0
        Seeds the small random perturbations of the annealing.

    Returns
    -------
    IBCurve
        The envelope (``beta``, ``ixt``, ``ity``, bits), the raw points, convergence
        and H(X), H(Y), I(X;Y) in bits.

    Notes
    -----
    The curve is found by iterating the self-consistent equations (Tishby, Pereira &
    Bialek, 1999)

        p(t|x) ∝ p(t) exp(-beta KL[p(y|x) ‖ p(y|t)]),
        p(t) = Σ_x p(t|x) p(x),    p(y|t) = Σ_x p(y|x) p(x|t),

    with the encoder normalised in log space. Inputs with equal p(y|x) are first
    merged into one class (an exact reduction: they get equal encoders, so
    I(X;T) = I(C;T)); |T| is allowed to grow up to the number of classes. Beta is
    swept with warm starts twice (deterministic annealing, Rose 1998):

    - upwards from one cluster; after converging at each beta, every cluster whose
      linear stability analysis says it splits (beta rho_t^2 > 1, rho_t the maximal
      correlation of p(x, y | t)) is split along its unstable direction, with a small
      seeded random part, and the iteration resumes;
    - then downwards from the last solution, with a small seeded perturbation before
      each beta, so that clusters merge where they should and branches that exist
      below their onset (first-order transitions) are followed.

    Splits that gain less than 100 ``tol`` bits of I(T;Y) are undone and clusters
    whose union loses less than that are merged (equal p(y|t) give the same fixed
    point), which keeps |T| near the number of distinct clusters of the solution.
    At each beta the solution of lower I(X;T) - beta I(T;Y) is kept. The returned bound is the upper
    concave envelope of these points with (0, 0) (T constant), (H(C), I(X;Y)) (T = C)
    and (H(X), I(X;Y)) (T = X): every one of them is achieved by an encoder (mixtures
    achieve the chords), so the envelope never lies above the true curve, and it lies
    on it where the annealing found the optimum. Between vertices it is a chord, below
    the curve by ~1e-4 bits at 200 betas (less with more betas).

    When y is a function of x (see :func:`labels_are_deterministic`) the curve is
    known exactly, I(T;Y) = min(I(X;T), H(Y)): the points (0, 0), (H(Y), H(Y)) and
    (H(X), H(Y)) are returned (beta = 0, 1, inf) without iterating. No beta traces
    the curve then: beta < 1 gives T constant and beta > 1 gives T = Y, the corner
    (Kolchinsky, Tracey & Van Kuyk, 2019).

    References
    ----------
    N. Tishby, F. C. Pereira, W. Bialek, "The information bottleneck method", 1999.
    K. Rose, "Deterministic annealing for clustering, compression, classification,
    regression, and related optimization problems", Proc. IEEE, 1998.
    A. Kolchinsky, B. D. Tracey, S. Van Kuyk, "Caveats for information bottleneck in
    deterministic scenarios", ICLR 2019.

    Examples
    --------
    >>> curve = ib_curve([[0.45, 0.05], [0.05, 0.45]], n_betas=20)
    >>> round(curve.ixy, 4), round(float(curve.ity[-1]), 4)
    (0.531, 0.531)
    """
    func = "ib_curve"
    p = joint(p_xy, func)
    n_betas = positive_int(n_betas, "n_betas", func, low=2)
    tol = positive_float(tol, "tol", func)
    max_iter = positive_int(max_iter, "max_iter", func)
    rng = _rng(seed, func)
    red = reduce_joint(p)
    if bool(np.all(red.cond.max(axis=1) >= 1.0 - 1e-12)):
        return _deterministic_curve(red)
    if red.w.size == 1:  # Y independent of X
        return _independent_curve(red)
    grid = _betas(betas, n_betas, beta_max, red, func)
    return _anneal(red, grid, tol=tol, max_iter=max_iter, rng=rng)


def ib_curve_from_conditional(p_y_given_x: Any, p_x: Any = None, **options: Any) -> IBCurve:
    """:func:`ib_curve` of p(x, y) = p(x) p(y|x); ``p_x`` defaults to uniform.

    Parameters
    ----------
    p_y_given_x : array_like, shape (n_x, n_y)
        Rows p(y|x), each summing to 1.
    p_x : array_like, shape (n_x,), optional
        The input distribution; uniform by default (n_x equally likely inputs).
    **options
        Passed to :func:`ib_curve`.
    """
    func = "ib_curve_from_conditional"
    cond = conditional(p_y_given_x, func)
    px = marginal(p_x, cond.shape[0], func)
    return ib_curve(px[:, None] * cond, **options)


def _rng(seed: Any, func: str) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    ok = isinstance(seed, int | np.integer) and not isinstance(seed, bool) and seed >= 0
    check(ok, bad("seed", func, "an int >= 0 or a numpy.random.Generator", seed))
    return np.random.default_rng(int(seed))


def _betas(betas: Any, n_betas: int, beta_max: Any, red: Reduced, func: str) -> np.ndarray:
    if betas is not None:
        grid = as_float_array(betas, "betas", func, ndim=1)
        check(bool(np.all(grid > 0)), bad("betas", func, "positive", f"min {grid.min():.3g}"))
        return np.unique(grid)
    beta_c = 1.0 / max(max_correlation_sq(red.w, red.cond), np.finfo(np.float64).tiny)
    if beta_max is None:
        top = GRID_SPAN
    else:
        top = positive_float(beta_max, "beta_max", func) / beta_c - 1.0
        check(
            top > GRID_START,
            bad("beta_max", func, f"above beta_c (1 + {GRID_START:g}) = {beta_c:.6g}", beta_max),
        )
    n_below = int(round(GRID_BELOW * n_betas)) if beta_c > 1.0 + GRID_START else 0
    below = np.geomspace(1.0, beta_c, n_below, endpoint=False)
    above = beta_c * (1.0 + np.geomspace(GRID_START, top, n_betas - n_below))
    return np.unique(np.concatenate([below, above]))


def _anneal(red: Reduced, betas: np.ndarray, *, tol: float, max_iter: int, rng: Any) -> IBCurve:
    data = _kernel.make_data(red.w, red.cond)
    n = red.w.size
    m = betas.size
    ixt = np.empty((2, m))
    ity = np.empty((2, m))
    objective = np.empty((2, m))
    n_clusters = np.empty((2, m), dtype=np.int64)
    converged = np.empty((2, m), dtype=bool)
    n_iter = np.zeros(m, dtype=np.int64)

    def record(sweep: int, i: int, solves: list[_kernel.Solve], k: int) -> None:
        last = solves[-1].step
        ixt[sweep, i], ity[sweep, i], objective[sweep, i] = last.ixt, last.ity, last.objective
        n_clusters[sweep, i] = k
        converged[sweep, i] = all(s.converged for s in solves)
        n_iter[i] += sum(s.n_iter for s in solves)

    min_gain = _kernel.SPLIT_GAIN * tol
    state = _kernel.trivial_state(data)
    next_tag = 1
    for i, beta in enumerate(betas):  # upwards: clusters split
        solves = [_kernel.solve(state, beta, data, tol, max_iter)]
        state = _kernel.merge(solves[-1].step.state, min_gain)
        state, pairs = _kernel.split(state, beta, data, rng, n, min_gain, next_tag)
        if pairs.size:
            next_tag += pairs.size
            solves.append(_kernel.solve(state, beta, data, tol, max_iter))
            state = _kernel.unsplit(solves[-1].step.state, pairs, min_gain)
            state = _kernel.merge(state, min_gain)
        record(0, i, solves, state.pt.size)
    for i in range(m - 1, -1, -1):  # downwards: clusters merge
        state = _kernel.perturb(state, rng)
        solved = _kernel.solve(state, betas[i], data, tol, max_iter)
        state = _kernel.merge(solved.step.state, min_gain)
        record(1, i, [solved], state.pt.size)

    best = np.argmin(objective, axis=0)
    cols = np.arange(m)
    raw_ixt = np.clip(ixt[best, cols], 0.0, red.hc)
    raw_ity = np.clip(ity[best, cols], 0.0, None)
    raw_ity = np.minimum(raw_ity, np.minimum(raw_ixt, red.ixy))
    ok = converged[best, cols]
    if not ok.all():
        bad_betas = ", ".join(f"{b:.4g}" for b in betas[~ok][:5])
        more = "" if (~ok).sum() <= 5 else ", ..."
        warnings.warn(
            f"ib_curve: the IB iteration did not converge at {(~ok).sum()} of {m} betas "
            f"({bad_betas}{more}); raise max_iter (now {max_iter}) or tol (now {tol:g}).",
            RuntimeWarning,
            stacklevel=3,
        )
    raw = IBPoints(
        beta=_frozen(betas),
        ixt=_frozen(raw_ixt),
        ity=_frozen(raw_ity),
        n_clusters=_frozen(n_clusters[best, cols], np.int64),
    )
    # The known points last: of coinciding points the last is kept.
    env_beta = np.concatenate([betas, [0.0, np.inf, np.inf]])
    env_ixt = np.concatenate([raw_ixt, [0.0, red.hc, red.hx]])
    env_ity = np.concatenate([raw_ity, [0.0, red.ixy, red.ixy]])
    idx = hull_indices(env_ixt, env_ity)
    return IBCurve(
        beta=_frozen(env_beta[idx]),
        ixt=_frozen(env_ixt[idx]),
        ity=_frozen(env_ity[idx]),
        raw=raw,
        converged=_frozen(ok, bool),
        n_iter=_frozen(n_iter, np.int64),
        deterministic_labels=False,
        ixy=red.ixy,
        hx=red.hx,
        hy=red.hy,
    )


def _closed_form(
    red: Reduced, beta: list[float], ixt: list[float], ity: list[float], deterministic: bool
) -> IBCurve:
    """A curve known exactly: its vertices (coinciding ones once) are also its raw points."""
    keep = [0] + [i for i in range(1, len(ixt)) if ixt[i] > ixt[i - 1]]
    beta, ixt, ity = ([v[i] for i in keep] for v in (beta, ixt, ity))
    raw = IBPoints(
        beta=_frozen(beta), ixt=_frozen(ixt), ity=_frozen(ity), n_clusters=_frozen([1] * len(beta))
    )
    return IBCurve(
        beta=raw.beta,
        ixt=raw.ixt,
        ity=raw.ity,
        raw=raw,
        converged=_frozen([True] * len(beta), bool),
        n_iter=_frozen([0] * len(beta), np.int64),
        deterministic_labels=deterministic,
        ixy=red.ixy,
        hx=red.hx,
        hy=red.hy,
    )


def _deterministic_curve(red: Reduced) -> IBCurve:
    hy = min(red.ixy, red.hx)  # I(X;Y) = H(Y) <= H(X) when y is a function of x
    return _closed_form(red, [0.0, 1.0, np.inf], [0.0, hy, red.hx], [0.0, hy, hy], True)


def _independent_curve(red: Reduced) -> IBCurve:
    return _closed_form(red, [0.0, np.inf], [0.0, red.hx], [0.0, 0.0], False)
