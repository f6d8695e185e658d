"""The paper's task: 12 binary inputs on the vertices of an icosahedron.

The 12 inputs sit on the vertices v_1..v_12 of a regular icosahedron. For a pattern
x in {0,1}^12 let

    f(x) = || sum_i x_i v_i ||^2 / 5 + 0.9 F(x) - 0.1 A(x),

with v_i unit vectors, F(x) the number of the 20 faces whose 3 vertices are all
active and A(x) the number of antipodal vertex pairs both active. f depends only on
the set of active vertices up to rotation (norms, faces and antipodes are preserved
by every rotation of the icosahedron), so the label y = [f(x) > theta] is invariant
under the 60 rotations, as in Shwartz-Ziv & Tishby (2017), whose exact function was
not published. theta is fixed so that p(y=1) = 0.5 as nearly as the ties allow
(0.5 ± 0.03 is checked in the tests); y is not a function of the number of active
inputs alone. The soft rule p(y=1|x) = sigmoid(gamma (f(x) - theta)) gives a
non-deterministic p(y|x) for Information Bottleneck analyses.
"""

from __future__ import annotations

import itertools
from functools import cache

import numpy as np
from scipy.special import expit

from infoplane.datasets._dataset import Dataset
from infoplane.errors import check

N_INPUTS = 12
FACE_WEIGHT = 0.9
ANTIPODE_WEIGHT = 0.1
ROUNDING = 9
"""Decimals kept in f(x): rotated patterns differ only by float rounding (~1e-15)."""


@cache
def icosahedron_vertices() -> np.ndarray:
    """The 12 unit vertices (0, +-1, +-phi) and cyclic permutations, normalised."""
    phi = (1 + 5**0.5) / 2
    vertices = []
    for a, b in itertools.product((-1.0, 1.0), repeat=2):
        vertices += [(0.0, a, b * phi), (a, b * phi, 0.0), (b * phi, 0.0, a)]
    v = np.array(vertices)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@cache
def icosahedron_faces() -> tuple[tuple[int, int, int], ...]:
    """The 20 faces: vertex triples that are pairwise nearest neighbours."""
    v = icosahedron_vertices()
    gram = v @ v.T
    edge = gram[~np.eye(N_INPUTS, dtype=bool)].max()
    adjacent = np.isclose(gram, edge)
    return tuple(
        t for t in itertools.combinations(range(N_INPUTS), 3)
        if adjacent[t[0], t[1]] and adjacent[t[1], t[2]] and adjacent[t[0], t[2]]
    )


def icosahedron_rotations() -> np.ndarray:
    """The 60 rotations of the icosahedron as permutations of its vertices, (60, 12).

    Row r maps vertex i to vertex ``perm[r, i]``.
    """
    v = icosahedron_vertices()
    gram = v @ v.T
    perms = set()
    a, b = 0, int(np.argmax(np.where(np.eye(N_INPUTS, dtype=bool), -2, gram)))
    frame_ab = _frame(v[a], v[b])
    for i, j in itertools.permutations(range(N_INPUTS), 2):
        if not np.isclose(gram[i, j], gram[a, b]):
            continue
        rotation = _frame(v[i], v[j]) @ frame_ab.T
        image = v @ rotation.T
        match = np.argmax(image @ v.T, axis=1)
        if np.allclose(image, v[match]) and np.isclose(np.linalg.det(rotation), 1.0):
            perms.add(tuple(int(k) for k in match))
    return np.array(sorted(perms))


def _frame(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """A right-handed orthonormal frame (as columns) built from two vectors."""
    e1 = p
    e2 = q - (q @ p) * p
    e2 = e2 / np.linalg.norm(e2)
    return np.column_stack([e1, e2, np.cross(e1, e2)])


def all_patterns(n_inputs: int = N_INPUTS) -> np.ndarray:
    """All 2**n binary patterns, (2**n, n) uint8; row k is k in binary, input 0 first."""
    k = np.arange(2**n_inputs)
    return ((k[:, None] >> np.arange(n_inputs)) & 1).astype(np.uint8)


def rule(X: np.ndarray) -> np.ndarray:
    """The rotation-invariant score f(x) of each pattern (rows of X)."""
    X = np.asarray(X, dtype=np.float64)
    v = icosahedron_vertices()
    norm2 = ((X @ v) ** 2).sum(axis=1)
    faces = np.array(icosahedron_faces())
    full_faces = X[:, faces].prod(axis=2).sum(axis=1)
    antipode = np.argmin(v @ v.T, axis=1)
    antipodal_pairs = (X * X[:, antipode]).sum(axis=1) / 2
    score = norm2 / 5 + FACE_WEIGHT * full_faces - ANTIPODE_WEIGHT * antipodal_pairs
    return np.round(score, ROUNDING)  # equal scores must compare equal exactly


@cache
def threshold() -> float:
    """theta: the cut between distinct scores that brings p(y=1) closest to 1/2."""
    f = rule(all_patterns())
    values = np.unique(f)
    cuts = (values[:-1] + values[1:]) / 2
    balance = np.abs((f[:, None] > cuts[None, :]).mean(axis=0) - 0.5)
    return float(cuts[np.argmin(balance)])


def tishby12(soft_labels: float | None = None, *, seed: int = 0) -> Dataset:
    """The tishby12 data set: all 4096 patterns and their labels.

    Parameters
    ----------
    soft_labels : float, optional
        gamma of the soft rule p(y=1|x) = sigmoid(gamma (f(x) - theta)). When given,
        the labels ``y`` are one fixed draw from that p(y|x) (seeded by ``seed``) and
        ``p_y_given_x`` is the exact soft rule; otherwise y = [f(x) > theta] and
        ``p_y_given_x`` is its one-hot.
    seed : int, default 0
        Seed of the label draw (soft rule only).
    """
    X = all_patterns()
    return scored_dataset("tishby12", X, rule(X), threshold(), soft_labels, seed=seed)


def scored_dataset(
    name: str, X: np.ndarray, score: np.ndarray, theta: float,
    soft_labels: float | None, *, seed: int,
) -> Dataset:
    """The labels of a score rule: y = [score > theta], or with ``soft_labels`` (gamma)
    one seeded draw from p(y=1|x) = sigmoid(gamma (score - theta)), which is then the
    data set's exact ``p_y_given_x``. Shared by the built-in tasks.

    Raises InfoplaneError if ``soft_labels`` is not > 0.
    """
    if soft_labels is None:
        y = (score > theta).astype(np.int64)
        p = np.eye(2)[y]
    else:
        check(soft_labels > 0, f"soft-labels gamma must be > 0, got {soft_labels}")
        p1 = expit(soft_labels * (score - theta))
        p = np.column_stack([1 - p1, p1])
        rng = np.random.default_rng(np.random.SeedSequence([seed, 12]))
        y = (rng.random(p1.size) < p1).astype(np.int64)
        name = f"{name}-soft{soft_labels:g}"
    return Dataset(name=name, X=X.astype(np.float32), y=y, p_y_given_x=p)
