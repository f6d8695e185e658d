"""The IB fixed-point iteration, cluster splitting and merging; private, trusts its inputs.

A state is the pair (p(t), p(t, y)) of K clusters; it defines the encoder

    p(t|c) = p(t) exp(-beta KL[p(y|c) ‖ p(y|t)]) / Z(c),

over the input classes c (inputs with equal p(y|x), see ``_info.reduce_joint``), and
one iteration maps it to the marginals of that encoder, p'(t) = Σ_c p(c) p(t|c) and
p'(t, y) = Σ_c p(c) p(t|c) p(y|c). Only -β Σ_y p(y|c) log p(y|t) depends on t, so the
logits are one matrix product; they are normalised in log space (max-shifted). Arrays
are laid out (clusters, classes), so that sums and maxima over t combine whole
contiguous rows.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from scipy.special import expit, xlogy

from infoplane.ib._info import LN2

LOG_FLOOR = float(np.log(np.finfo(np.float64).tiny))
"""log p(y|t) where p(y|t) = 0 (about -708): KL[p(y|c) ‖ p(y|t)] is then ~708 p(y|c)
nats instead of infinite, which puts weight exp(-708 beta p(y|c)) ~ 0 on t, the exact
limit, while 0 * log 0 terms stay 0 instead of NaN."""

MIN_CLUSTER_MASS = 1e-12
"""Clusters with p(t) below this are dropped; their inputs move to the other clusters
at the next iteration, which changes I(X;T) and I(T;Y) by ~1e-11 bits at most."""

SPLIT_MARGIN = 1e-3
"""A cluster splits when beta rho_t^2 > 1 + SPLIT_MARGIN (see :func:`stability`)."""

SPLIT_NOISE = 1e-2
"""Relative size of the seeded random part added to each split direction, so that
degenerate directions are broken at random but reproducibly."""

SPLIT_GAIN = 100.0
"""A split is kept only if its halves carry more than SPLIT_GAIN * tol bits of I(T;Y)
beyond their union (1e-6 bits at the default tol): smaller gains are below what the
iteration resolves, and keeping such halves, not yet apart, lets them split again."""

MERGE_NEIGHBOURS = 3
"""How many nearest clusters (in p(y|t)) are tried as merge partners of each cluster."""

PERTURBATION = 1e-3
"""Size of the seeded random change of log p(t) and log p(y|t) before each beta of the
downward sweep, so that clusters held together only by symmetry can move apart."""


class Data(NamedTuple):
    """The reduced problem: class weights p(c), p(y|c) and constants."""

    w: np.ndarray  # (n,) p(c)
    cond: np.ndarray  # (n, n_y) p(y|c)
    cond_t: np.ndarray  # (n_y, n) p(y|c), transposed and contiguous
    outer: np.ndarray  # (n, n_y * n_y) p(y|c) p(y'|c)
    plogp_y: float  # Σ_y p(y) ln p(y), nats


class State(NamedTuple):
    """K clusters: p(t) (K,), p(t, y) (K, n_y) and an id per cluster (K,), to follow splits."""

    pt: np.ndarray
    pty: np.ndarray
    tag: np.ndarray


class Step(NamedTuple):
    """The state after one iteration, with the information of the encoder it came from."""

    state: State
    ixt: float  # bits
    ity: float  # bits
    objective: float  # I(X;T) - beta I(T;Y), bits


class Solve(NamedTuple):
    """The last iteration at one beta, how many were run, and whether they converged."""

    step: Step
    n_iter: int
    converged: bool


def make_data(w: np.ndarray, cond: np.ndarray) -> Data:
    p_y = w @ cond
    n, n_y = cond.shape
    outer = (cond[:, :, None] * cond[:, None, :]).reshape(n, n_y * n_y)
    return Data(w, cond, np.ascontiguousarray(cond.T), outer, float(xlogy(p_y, p_y).sum()))


def trivial_state(data: Data) -> State:
    """One cluster holding every input: T independent of X."""
    return State(np.ones(1), (data.w @ data.cond)[None, :], np.zeros(1, dtype=np.int64))


def _log_params(state: State) -> tuple[np.ndarray, np.ndarray]:
    """log p(t) and log p(y|t), floored at :data:`LOG_FLOOR`."""
    lpt = np.log(state.pt)
    with np.errstate(divide="ignore"):
        lpyt = np.log(state.pty)
    lpyt -= lpt[:, None]
    np.maximum(lpyt, LOG_FLOOR, out=lpyt)
    return lpt, lpyt


def _encoder(
    lpt: np.ndarray, lpyt: np.ndarray, beta: float, data: Data
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unnormalised encoder exp(logits - max) (K, n), its log-normaliser and its column sums."""
    logits = (beta * lpyt) @ data.cond_t
    logits += lpt[:, None]
    shift = logits.max(axis=0)
    logits -= shift
    e = np.exp(logits, out=logits)
    s = e.sum(axis=0)
    return e, shift + np.log(s), s


def step(state: State, beta: float, data: Data) -> Step:
    """One iteration of the self-consistent equations, with the information of its encoder.

    With q(t|c) = exp(L(c,t)), L = log p(t) + beta Σ_y p(y|c) log p(y|t) - log Z(c),

        Σ_c p(c) Σ_t q L = Σ_t p'(t) log p(t) + beta Σ_ty p'(t,y) log p(y|t) - Σ_c p(c) log Z(c),

    so I(X;T) = that - Σ_t p'(t) log p'(t) costs O(K n_y + n), not another (K, n) pass.
    """
    lpt, lpyt = _log_params(state)
    e, log_z, s = _encoder(lpt, lpyt, beta, data)
    r = data.w / s
    pt = e @ r
    pty = e @ (data.cond * r[:, None])
    plogp_t = float(xlogy(pt, pt).sum())
    ixt = (pt @ lpt + beta * float(np.sum(pty * lpyt)) - data.w @ log_z - plogp_t) / LN2
    ity = (float(xlogy(pty, pty).sum()) - plogp_t - data.plogp_y) / LN2
    tag = state.tag
    keep = pt >= MIN_CLUSTER_MASS
    if not keep.all():
        pt, pty, tag = pt[keep], pty[keep], tag[keep]
    return Step(State(pt, pty, tag), ixt, ity, ixt - beta * ity)


def solve(state: State, beta: float, data: Data, tol: float, max_iter: int) -> Solve:
    """Iterate until one iteration lowers I(X;T) - beta I(T;Y) by less than ``tol * beta`` bits.

    The objective never increases under the iteration (it is an alternating
    minimisation), and every iterate is an encoder that exists, so stopping early
    only leaves a point at most (objective excess) / beta bits below the bound.
    """
    previous = math.inf
    current = step(state, beta, data)
    for k in range(1, max_iter + 1):
        if k > 1:
            current = step(current.state, beta, data)
        if previous - current.objective < tol * beta:
            return Solve(current, k, True)
        previous = current.objective
    return Solve(current, max_iter, False)


def stability(
    state: State, beta: float, data: Data
) -> tuple[State, np.ndarray, np.ndarray, np.ndarray]:
    """Per cluster, rho_t^2 and the direction in which the cluster splits.

    Splitting cluster t into two copies with memberships q(t|c) (1 ± delta_c) / 2 is,
    to first order, the map delta -> beta M delta, where M is the c -> y -> c Markov
    operator of p(c, y | t) = p(c|t) p(y|c). Its second eigenvalue is rho_t^2, the
    squared maximal correlation of p(c, y | t), so the cluster is unstable (splits)
    when beta rho_t^2 > 1; for the single trivial cluster this is the known critical
    beta = 1 / rho^2(X;Y). The unstable direction is delta_c = Σ_y p(y|c) v_y with v
    the eigenvector of the (n_y, n_y) matrix D^-1/2 E_{c|t}[p(y|c) p(y|c)^T] D^-1/2,
    D = diag p(y|t), divided by sqrt(p(y|t)).

    Returns the state after one iteration (the marginals of the encoder used), the
    encoder's weights p(c) q(t|c) (K, n), rho^2 (K,) and v (K, n_y).
    """
    e, _, s = _encoder(*_log_params(state), beta, data)
    e *= data.w / s  # p(c) q(t|c)
    pt = e.sum(axis=1)
    pty = e @ data.cond
    n_y = pty.shape[1]
    base = State(pt, pty, state.tag)
    if n_y < 2:
        return base, e, np.zeros(pt.size), np.zeros_like(pty)
    second = (e @ data.outer).reshape(-1, n_y, n_y)
    p_y_t = pty / pt[:, None]
    scale = np.zeros_like(p_y_t)
    np.divide(1.0, np.sqrt(p_y_t), out=scale, where=p_y_t > np.finfo(np.float64).tiny)
    g = second / pt[:, None, None] * scale[:, :, None] * scale[:, None, :]
    eigval, eigvec = np.linalg.eigh(g)
    return base, e, eigval[:, -2], eigvec[:, :, -2] * scale


def split(
    state: State,
    beta: float,
    data: Data,
    rng: np.random.Generator,
    max_clusters: int,
    min_gain: float,
    next_tag: int,
) -> tuple[State, np.ndarray]:
    """Split the clusters that are unstable at ``beta`` along their unstable direction.

    The halves of cluster t get memberships q(t|c) s_c and q(t|c) (1 - s_c), with
    s_c = expit(z_c) and z_c the unstable direction delta_c standardised over p(c|t)
    (plus a small seeded random part), so memberships stay positive. At most
    ``max_clusters`` clusters result; the most unstable split first. A split whose
    halves, as first placed, carry less than ``min_gain`` bits of I(T;Y) more than
    their parent is not made: its gain is below what the iteration resolves. The
    halves get the tags ``next_tag, next_tag + 1, ...``. Returns the new state and
    the (s, 2) array of the tags of the halves.
    """
    base, weights, rho2, v = stability(state, beta, data)
    none = np.zeros((0, 2), dtype=np.int64)
    excess = beta * rho2 - 1.0
    room = max_clusters - base.pt.size
    candidates = np.flatnonzero(excess > SPLIT_MARGIN)
    if room <= 0 or candidates.size == 0:
        return base, none
    chosen = candidates[np.argsort(-excess[candidates], kind="stable")]
    v = v[chosen]
    v = v + SPLIT_NOISE * np.abs(v).max(axis=1, keepdims=True) * rng.standard_normal(v.shape)
    delta = v @ data.cond_t  # (s, n)
    wt = weights[chosen]
    pt = base.pt[chosen]
    mean = np.einsum("kc,kc->k", wt, delta) / pt
    delta -= mean[:, None]
    std = np.sqrt(np.einsum("kc,kc->k", wt, delta * delta) / pt)
    np.divide(delta, std[:, None], out=delta, where=std[:, None] > 0)
    half = wt * expit(delta)
    pt_a, pty_a = half.sum(axis=1), half @ data.cond
    pt_b, pty_b = pt - pt_a, np.maximum(base.pty[chosen] - pty_a, 0.0)
    gain = _pair_gain(pt_a, pty_a, pt_b, pty_b)
    worth = np.flatnonzero((gain >= min_gain) & (pt_a > 0) & (pt_b > 0))[:room]
    if worth.size == 0:
        return base, none
    s = worth.size
    tags = next_tag + np.arange(2 * s).reshape(s, 2)
    rest = np.ones(base.pt.size, dtype=bool)
    rest[chosen[worth]] = False
    new = State(
        np.concatenate([base.pt[rest], pt_a[worth], pt_b[worth]]),
        np.concatenate([base.pty[rest], pty_a[worth], pty_b[worth]]),
        np.concatenate([base.tag[rest], tags[:, 0], tags[:, 1]]),
    )
    return new, tags


def _relevance(pt: np.ndarray, pty: np.ndarray) -> np.ndarray:
    """Σ_y p(t,y) ln p(t,y) - p(t) ln p(t) per cluster (nats): I(T;Y) = Σ_t this - Σ_y p ln p."""
    return xlogy(pty, pty).sum(axis=-1) - xlogy(pt, pt)


def _pair_gain(
    pt_a: np.ndarray, pty_a: np.ndarray, pt_b: np.ndarray, pty_b: np.ndarray
) -> np.ndarray:
    """The I(T;Y) (bits) that merging cluster a with cluster b would lose, per pair."""
    together = _relevance(pt_a + pt_b, pty_a + pty_b)
    return (_relevance(pt_a, pty_a) + _relevance(pt_b, pty_b) - together) / LN2


def unsplit(state: State, pairs: np.ndarray, min_gain: float) -> State:
    """Merge back the split halves (``pairs`` of tags) that carry less than ``min_gain``
    bits of I(T;Y) more than their union: splits that did not take."""
    if pairs.size == 0:
        return state
    where = {int(t): i for i, t in enumerate(state.tag)}
    both = [(where[a], where[b]) for a, b in pairs if a in where and b in where]
    if not both:
        return state
    ia, ib = np.array(both).T
    gain = _pair_gain(state.pt[ia], state.pty[ia], state.pt[ib], state.pty[ib])
    weak = gain < min_gain
    if not weak.any():
        return state
    group = np.arange(state.pt.size)
    group[ib[weak]] = ia[weak]
    return _combine(state, group)


def _combine(state: State, group: np.ndarray) -> State:
    """Sum the clusters with equal ``group`` label; each keeps its smallest tag."""
    labels, inverse = np.unique(group, return_inverse=True)
    pt = np.bincount(inverse, weights=state.pt, minlength=labels.size)
    pty = np.zeros((labels.size, state.pty.shape[1]))
    np.add.at(pty, inverse, state.pty)
    tag = np.full(labels.size, np.iinfo(np.int64).max)
    np.minimum.at(tag, inverse, state.tag)
    return State(pt, pty, tag)


def merge(state: State, min_gain: float) -> State:
    """Merge neighbouring clusters whose union loses less than ``min_gain`` bits of I(T;Y).

    Two clusters with equal p(y|t) have memberships in a fixed ratio p(t)/p(t'), so
    their union is the same fixed point with the same information; nearly equal ones
    (left by splits that did not take) converge together only slowly, and merging
    them costs less than ``min_gain`` bits. Candidates are each cluster's
    ``MERGE_NEIGHBOURS`` nearest neighbours in p(y|t).
    """
    k = state.pt.size
    if k < 2:
        return state
    p_y_t = state.pty / state.pt[:, None]
    _, near = cKDTree(p_y_t).query(p_y_t, k=min(k, MERGE_NEIGHBOURS + 1))
    ia = np.repeat(np.arange(k), near.shape[1] - 1)
    ib = near[:, 1:].ravel()
    gain = _pair_gain(state.pt[ia], state.pty[ia], state.pt[ib], state.pty[ib])
    weak = gain < min_gain
    if not weak.any():
        return state
    graph = coo_matrix((np.ones(weak.sum()), (ia[weak], ib[weak])), shape=(k, k))
    _, group = connected_components(graph, directed=False)
    return _combine(state, group)


def perturb(state: State, rng: np.random.Generator) -> State:
    """A small seeded random change of log p(t) and log p(y|t) (renormalised)."""
    factor_t = np.exp(PERTURBATION * rng.standard_normal(state.pt.shape))
    factor_ty = np.exp(PERTURBATION * rng.standard_normal(state.pty.shape))
    pt = state.pt * factor_t
    p_y_t = state.pty / state.pt[:, None] * factor_ty
    p_y_t /= p_y_t.sum(axis=1, keepdims=True)
    pt /= pt.sum()
    return State(pt, pt[:, None] * p_y_t, state.tag)
