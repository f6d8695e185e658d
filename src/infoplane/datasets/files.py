"""Loaders for users' data: the original paper's ``.mat`` format and ``.npz``."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from infoplane.datasets._checks import labelled, one_line
from infoplane.datasets._dataset import Dataset
from infoplane.errors import InfoplaneError


def load_file(path: str | Path) -> Dataset:
    """Load a data set from a ``.mat`` (keys ``F``, ``y``) or ``.npz`` (keys ``X``, ``y``).

    ``y`` may be 1 x n, n x 1, n, or one-hot rows (n x K); labels are recoded to
    0..K-1 (``Dataset.label_values`` keeps the originals). Arrays are never
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
        raise InfoplaneError(
            f"{path}: unknown data file type {suffix!r}; use .mat, .npz, .csv or IDX files"
        )
    return labelled(path.stem, X, y, str(path))


def _read_mat(path: Path) -> tuple[np.ndarray, np.ndarray]:
    from scipy.io import loadmat

    try:
        content = loadmat(path)
    except NotImplementedError:
        raise InfoplaneError(
            f"{path}: MATLAB v7.3 (HDF5) files are not supported; save with -v7"
        ) from None
    except Exception as exc:  # scipy raises several types for corrupt files
        raise InfoplaneError(f"{path}: not a readable .mat file ({one_line(exc)})") from None
    _require(path, content, ("F", "y"))
    return np.asarray(content["F"]), np.asarray(content["y"])


def _read_npz(path: Path) -> tuple[np.ndarray, np.ndarray]:
    if path.stat().st_size == 0:
        raise InfoplaneError(f"{path}: the file is empty, not a .npz archive")
    try:
        content = np.load(path, allow_pickle=False)
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as exc:
        raise InfoplaneError(f"{path}: not a readable .npz file ({one_line(exc)})") from None
    if not isinstance(content, np.lib.npyio.NpzFile):
        raise InfoplaneError(
            f"{path}: a single .npy array, not a .npz archive; save with "
            "numpy.savez(path, X=inputs, y=labels)"
        )
    with content:
        _require(path, content.files, ("X", "y"))
        try:
            return np.asarray(content["X"]), np.asarray(content["y"])
        except ValueError as exc:  # object arrays need pickle
            raise InfoplaneError(
                f"{path}: cannot read without unpickling ({one_line(exc)})"
            ) from None
        except (OSError, EOFError, zipfile.BadZipFile) as exc:
            raise InfoplaneError(f"{path}: not a readable .npz file ({one_line(exc)})") from None


def _require(path: Path, names, keys: tuple[str, ...]) -> None:
    """A one-line error naming the first of ``keys`` missing from ``names``."""
    for key in keys:
        if key not in names:
            found = ", ".join(k for k in names if not k.startswith("__")) or "none"
            raise InfoplaneError(f"{path}: missing array {key!r} (found: {found})")

