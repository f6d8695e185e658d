"""The upper concave envelope of points in the plane."""

from __future__ import annotations

from typing import Any

import numpy as np

from infoplane.errors import check
from infoplane.ib._checks import as_float_array, bad


def hull_indices(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Indices of the vertices of the upper hull of (x, y), in increasing x.

    Of points with equal x only the highest (the last of equal ones) can be a vertex;
    collinear points are not vertices (the envelope is the same without them).
    """
    order = np.lexsort((-np.arange(x.size), -y, x))
    first = np.ones(order.size, dtype=bool)
    first[1:] = x[order][1:] != x[order][:-1]
    order = order[first]
    hull: list[int] = []
    for i in order:
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            cross = (x[b] - x[a]) * (y[i] - y[a]) - (y[b] - y[a]) * (x[i] - x[a])
            if cross < 0:  # a right turn: b stays above the chord a-i
                break
            hull.pop()
        hull.append(int(i))
    return np.asarray(hull, dtype=np.int64)


def upper_concave_envelope(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """The least concave function above the points (x, y), as its vertices.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        The points; n >= 1, finite.

    Returns
    -------
    x_env, y_env : ndarray, shape (m,)
        The vertices in increasing x, from the leftmost to the rightmost point; the
        envelope is the piecewise linear function through them (``np.interp``).

    Examples
    --------
    >>> upper_concave_envelope([0, 1, 2, 3], [0, 0.2, 1.5, 1.6])
    (array([0., 2., 3.]), array([0. , 1.5, 1.6]))
    """
    func = "upper_concave_envelope"
    xa = as_float_array(x, "x", func, ndim=1)
    ya = as_float_array(y, "y", func, ndim=1)
    check(xa.shape == ya.shape, bad("y", func, f"of shape {xa.shape}, like x", ya.shape))
    idx = hull_indices(xa, ya)
    return xa[idx], ya[idx]
