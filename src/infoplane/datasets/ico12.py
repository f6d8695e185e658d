"""The default task: 12 binary inputs on an icosahedron, with the statistics of the paper's data.

The inputs sit on the vertices v_1..v_12 of a regular icosahedron, as in
:mod:`infoplane.datasets.tishby12`. For a pattern x in {0,1}^12 let

    s(x) = w(x) + 0.5 N(x) + 0.2 (F(x) - E(x)),

with w(x) the number of active inputs, N(x) = || sum_i x_i v_i ||^2 (v_i unit vectors:
how clustered the active vertices are), F(x) the number of the 20 faces whose 3 vertices
are all active and E(x) the number whose 3 vertices are all inactive. Every term is
preserved by the 60 rotations of the icosahedron, so the label y = [s(x) > 7.4] is
invariant under them. The rule reproduces the label statistics of the data file of
Shwartz-Ziv & Tishby (2017), ``var_u.mat``, whose rule was not published: the label is
almost a threshold on w, p(y=1 | w) = 0 for w <= 4, 0.076 for w = 5, 0.576 for w = 6,
0.924 for w = 7 and 1 for w >= 8, and p(y=1) = 2118 / 4096 = 0.517. The numbers are
those of var_u; the rule is this module's own. The soft rule
p(y=1|x) = sigmoid(gamma (s(x) - theta)) from the same score gives a non-deterministic
p(y|x) for Information Bottleneck analyses.

:mod:`infoplane.datasets.tishby12` is the earlier built-in task (a rule far more
mixed in w); it stays available by name.
"""

from __future__ import annotations

import numpy as np

from infoplane.datasets._dataset import Dataset
from infoplane.datasets.tishby12 import (
    ROUNDING,
    all_patterns,
    icosahedron_faces,
    icosahedron_vertices,
    scored_dataset,
)

NAME = "ico12"
CLUSTER_WEIGHT = 0.5
"""Weight of N(x) = ||sum_i x_i v_i||^2 in the score."""
FACE_WEIGHT = 0.2
"""Weight of F(x) - E(x), full minus empty faces, in the score."""
THETA = 7.4
"""The threshold: midway in the gap between the scores 7.358 and 7.447 (no score lies
within 0.04 of it), where the fractions p(y=1 | w) are var_u's."""


def score(X: np.ndarray) -> np.ndarray:
    """The rotation-invariant score s(x) of each pattern (rows of X), rounded to 1e-9.

    >>> float(score(np.ones((1, 12)))[0])  # all active: w = 12, N = 0, F = 20, E = 0
    16.0
    """
    X = np.asarray(X, dtype=np.float64)
    v = icosahedron_vertices()
    count = X.sum(axis=1)
    cluster = ((X @ v) ** 2).sum(axis=1)
    faces = np.array(icosahedron_faces())
    full = X[:, faces].prod(axis=2).sum(axis=1)
    empty = (1.0 - X)[:, faces].prod(axis=2).sum(axis=1)
    s = count + CLUSTER_WEIGHT * cluster + FACE_WEIGHT * (full - empty)
    return np.round(s, ROUNDING)  # rotated patterns must compare equal exactly


def ico12(soft_labels: float | None = None, *, seed: int = 0) -> Dataset:
    """The ico12 data set: all 4096 patterns and their labels.

    Parameters
    ----------
    soft_labels : float, optional
        gamma of the soft rule p(y=1|x) = sigmoid(gamma (s(x) - theta)). When given,
        the labels ``y`` are one fixed draw from that p(y|x) (seeded by ``seed``) and
        ``p_y_given_x`` is the exact soft rule; otherwise y = [s(x) > theta] and
        ``p_y_given_x`` is its one-hot (I(X;Y) = H(Y) = 0.99916 bits).
    seed : int, default 0
        Seed of the label draw (soft rule only).

    Returns
    -------
    Dataset
        ``X`` float32 (4096, 12), ``y`` int64 (4096,), ``p_y_given_x`` (4096, 2).

    Raises
    ------
    InfoplaneError
        If ``soft_labels`` is not > 0.
    """
    X = all_patterns()
    return scored_dataset(NAME, X, score(X), THETA, soft_labels, seed=seed)
