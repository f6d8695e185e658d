"""Checks every loader shares: inputs as float32, labels recoded to 0..K-1."""

from __future__ import annotations

import numpy as np

from infoplane.datasets._dataset import Dataset
from infoplane.errors import InfoplaneError

FLOAT32_MAX = float(np.finfo(np.float32).max)


def as_inputs(X: np.ndarray, source: str) -> np.ndarray:
    """``X`` as a float32 (n_samples, n_inputs) array, or a one-line InfoplaneError.

    Rejects empty or non-2-D arrays, non-numeric and complex values, NaN, infinities
    and values beyond float32's range (about 3.4e38), which would become infinite.
    """
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise InfoplaneError(f"{source}: inputs must be a non-empty 2-D array, got shape {X.shape}")
    if np.iscomplexobj(X):
        raise InfoplaneError(f"{source}: inputs must be real numbers, got dtype {X.dtype}")
    if not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
        raise InfoplaneError(f"{source}: inputs must be numeric, got dtype {X.dtype}")
    if X.dtype.kind == "f":
        if not np.isfinite(X).all():
            raise InfoplaneError(f"{source}: inputs contain NaN or infinite values")
        if X.dtype.itemsize > 4 and float(np.abs(X).max()) > FLOAT32_MAX:
            raise InfoplaneError(
                f"{source}: inputs beyond float32's range (|x| > {FLOAT32_MAX:.3g}); rescale them"
            )
    return X.astype(np.float32, copy=False)


def recode_labels(
    y: np.ndarray, n: int, source: str, *, names: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Labels as class indices 0..K-1, and the source label of each index.

    ``y`` may be 1 x n, n x 1, n, or one-hot rows (n x K, a row's class is its column).
    Numeric labels must be integers (any sign or size); with ``names`` strings are
    labels too. Classes are numbered in the sorted order of their labels, so
    labels {3, 7} become {0, 1} and ``values`` is [3, 7].

    Returns
    -------
    codes : int64 array (n,)
    values : array (K,), ``values[k]`` the label recoded to k
    """
    y = np.asarray(y)
    if y.ndim == 2 and 1 in y.shape and y.size == n:
        y = y.ravel()
    elif y.ndim == 2 and y.shape[0] == n and y.shape[1] > 1:
        if not (np.isin(y, (0, 1)).all() and (y.sum(axis=1) == 1).all()):
            raise InfoplaneError(f"{source}: 2-D labels of shape {y.shape} are not one-hot rows")
        y = y.argmax(axis=1)
    if y.ndim != 1 or y.size != n:
        raise InfoplaneError(f"{source}: labels of shape {y.shape} do not match {n} input rows")
    if y.dtype.kind in "US" and names:
        values, codes = np.unique(y, return_inverse=True)
    elif y.dtype.kind in "biuf":
        if y.dtype.kind == "f" and not (np.isfinite(y).all() and (y == np.round(y)).all()):
            raise InfoplaneError(f"{source}: labels must be integers (class numbers)")
        values, codes = np.unique(y, return_inverse=True)
        if values.dtype.kind == "f" and np.abs(values).max() < 2.0**63:
            values = values.astype(np.int64)
    else:
        kind = "integers or class names" if names else "integers (class numbers)"
        raise InfoplaneError(f"{source}: labels must be {kind}, got dtype {y.dtype}")
    if values.size < 2:
        raise InfoplaneError(f"{source}: labels take a single value; need at least 2 classes")
    return codes.reshape(-1).astype(np.int64), values


def labelled(
    name: str, X: np.ndarray, y: np.ndarray, source: str, *, names: bool = False,
    test_mask: np.ndarray | None = None, input_shape: tuple[int, ...] | None = None,
) -> Dataset:
    """A checked Dataset from raw inputs and labels (recoded; p(y|x) the one-hot)."""
    X = as_inputs(X, source)
    codes, values = recode_labels(y, X.shape[0], source, names=names)
    p = np.zeros((codes.size, max(values.size, 2)))
    p[np.arange(codes.size), codes] = 1.0
    return Dataset(name=name, X=X, y=codes, p_y_given_x=p, label_values=values,
                   test_mask=test_mask, input_shape=input_shape)


def one_line(exc: BaseException) -> str:
    """An exception's message on one line (for wrapping a library's error)."""
    return " ".join(str(exc).split()) or type(exc).__name__
