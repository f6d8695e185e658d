"""Validation at the public boundary of :mod:`infoplane.ib`, one message template.

The private kernels trust what these helpers return: float64 arrays, finite,
non-negative, normalised.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from infoplane.errors import InfoplaneError, check

SUM_ATOL = 1e-6
"""How far a probability table may sum from 1 before it is rejected (then renormalised)."""


def bad(param: str, func: str, must: str, got: Any) -> str:
    """The one message template: "The 'p' parameter of f must be ... Got ... instead."."""
    text = repr(got)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"The {param!r} parameter of {func} must be {must}. Got {text} instead."


def as_float_array(value: Any, param: str, func: str, ndim: int) -> np.ndarray:
    """``value`` as a finite float64 array with ``ndim`` dimensions, none of them empty."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InfoplaneError(bad(param, func, "an array of numbers", value)) from None
    check(arr.ndim == ndim, bad(param, func, f"a {ndim}-D array", f"shape {arr.shape}"))
    check(arr.size > 0, bad(param, func, "a non-empty array", f"shape {arr.shape}"))
    check(bool(np.all(np.isfinite(arr))), bad(param, func, "finite", "NaN or inf entries"))
    return arr


def probabilities(value: Any, param: str, func: str, ndim: int, axis: int | None) -> np.ndarray:
    """A non-negative array summing to 1 (over ``axis``, or in all when None), renormalised."""
    arr = as_float_array(value, param, func, ndim)
    check(bool(np.all(arr >= 0)), bad(param, func, "non-negative", f"min {arr.min():.3g}"))
    sums = arr.sum(axis=axis, keepdims=axis is not None)
    worst = float(np.max(np.abs(sums - 1.0)))
    where = "in total" if axis is None else "along each row"
    check(worst <= SUM_ATOL, bad(param, func, f"summing to 1 {where}", f"an error of {worst:.3g}"))
    return arr / sums


def joint(p_xy: Any, func: str) -> np.ndarray:
    """p(x, y) of shape (n_x, n_y), summing to 1."""
    return probabilities(p_xy, "p_xy", func, ndim=2, axis=None)


def conditional(p_y_given_x: Any, func: str) -> np.ndarray:
    """p(y|x) of shape (n_x, n_y), each row summing to 1."""
    return probabilities(p_y_given_x, "p_y_given_x", func, ndim=2, axis=1)


def marginal(p_x: Any, n_x: int, func: str) -> np.ndarray:
    """p(x) of shape (n_x,); ``None`` gives the uniform distribution."""
    if p_x is None:
        return np.full(n_x, 1.0 / n_x)
    arr = probabilities(p_x, "p_x", func, ndim=1, axis=None)
    check(arr.shape == (n_x,), bad("p_x", func, f"of shape ({n_x},)", f"shape {arr.shape}"))
    return arr


def positive_int(value: Any, param: str, func: str, low: int = 1) -> int:
    """An int >= ``low`` (bools are refused)."""
    ok = isinstance(value, int | np.integer) and not isinstance(value, bool) and value >= low
    check(ok, bad(param, func, f"an int in the range [{low}, inf)", value))
    return int(value)


def positive_float(value: Any, param: str, func: str) -> float:
    """A finite float > 0."""
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)
    ok = ok and bool(np.isfinite(value)) and value > 0
    check(ok, bad(param, func, "a float in the range (0, inf)", value))
    return float(value)
