"""Loaders for users' data: the original paper's ``.mat`` format and ``.npz``."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from infoplane.datasets._dataset import Dataset
from infoplane.errors import InfoplaneError


def load_file(path: str | Path) -> Dataset:
    """Load a data set from a ``.mat`` (keys ``F``, ``y``) or ``.npz`` (keys ``X``, ``y``).

    ``y`` may be 1 x n, n x 1, n, or one-hot rows (n x K). Arrays are never
    unpickled. Malformed files raise :class:`InfoplaneError` naming file and problem.
    """
    path = Path(path)
    if not path.is_file():
        raise InfoplaneError(f"{path}: no such data file")
    suffix = path.suffix.lower()
    if suffix == ".mat":
        X, y = _read_mat(path)
    elif suffix == ".npz":
        X, y = _read_npz(path)
    else:
        raise InfoplaneError(f"{path}: unknown data file type {suffix!r}; use .mat or .npz")
    return _build(path, X, y)


def _read_mat(path: Path) -> tuple[np.ndarray, np.ndarray]:
    from scipy.io import loadmat

    try:
        content = loadmat(path)
    except NotImplementedError:
        raise InfoplaneError(
            f"{path}: MATLAB v7.3 (HDF5) files are not supported; save with -v7"
        ) from None
    except Exception as exc:  # scipy raises several types for corrupt files
        raise InfoplaneError(f"{path}: not a readable .mat file ({exc})") from None
    return _require(path, content, "F"), _require(path, content, "y")


def _read_npz(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as content:
            return _require(path, content, "X"), _require(path, content, "y")
    except ValueError as exc:  # object arrays need pickle
        raise InfoplaneError(f"{path}: cannot read without unpickling ({exc})") from None
    except (OSError, zipfile.BadZipFile) as exc:
        raise InfoplaneError(f"{path}: not a readable .npz file ({exc})") from None


def _require(path: Path, content, key: str) -> np.ndarray:
    if key not in content:
        keys = ", ".join(k for k in content if not k.startswith("__")) or "none"
        raise InfoplaneError(f"{path}: missing array {key!r} (found: {keys})")
    return np.asarray(content[key])


def _build(path: Path, X: np.ndarray, y: np.ndarray) -> Dataset:
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise InfoplaneError(f"{path}: inputs must be a non-empty 2-D array, got shape {X.shape}")
    if not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
        raise InfoplaneError(f"{path}: inputs must be numeric, got dtype {X.dtype}")
    X = X.astype(np.float32)
    if not np.isfinite(X).all():
        raise InfoplaneError(f"{path}: inputs contain NaN or infinite values")
    labels = _labels(path, y, X.shape[0])
    n_classes = max(int(labels.max()) + 1, 2)
    return Dataset(
        name=path.stem, X=X, y=labels, p_y_given_x=np.eye(n_classes)[labels]
    )


def _labels(path: Path, y: np.ndarray, n: int) -> np.ndarray:
    if not (np.issubdtype(y.dtype, np.number) or y.dtype == bool):
        raise InfoplaneError(f"{path}: labels must be numeric, got dtype {y.dtype}")
    if y.ndim == 2 and 1 in y.shape and y.size == n:
        y = y.ravel()
    elif y.ndim == 2 and y.shape[0] == n and y.shape[1] > 1:
        if not (np.isin(y, (0, 1)).all() and (y.sum(axis=1) == 1).all()):
            raise InfoplaneError(f"{path}: 2-D labels of shape {y.shape} are not one-hot rows")
        y = y.argmax(axis=1)
    if y.ndim != 1 or y.size != n:
        raise InfoplaneError(
            f"{path}: labels of shape {y.shape} do not match {n} input rows"
        )
    if not np.isfinite(y.astype(np.float64)).all() or (y != np.round(y)).any() or (y < 0).any():
        raise InfoplaneError(f"{path}: labels must be non-negative integers")
    labels = y.astype(np.int64)
    if np.unique(labels).size < 2:
        raise InfoplaneError(f"{path}: labels take a single value; need at least 2 classes")
    return labels
