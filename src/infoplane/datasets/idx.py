"""IDX files, the MNIST / Fashion-MNIST layout, raw or gzip-compressed.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of
dimensions), one big-endian uint32 per dimension, then the values, big-endian, in
C order. Images are ``n x rows x cols`` (idx3), labels a vector of n (idx1).
"""

from __future__ import annotations

import gzip
import math
import zlib
from pathlib import Path

import numpy as np

from infoplane.datasets._checks import labelled
from infoplane.datasets._dataset import Dataset
from infoplane.errors import InfoplaneError

TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
"""IDX type codes and their NumPy dtypes."""
SPLITS = ("train", "t10k")


def read_idx(path: str | Path) -> np.ndarray:
    """The array stored in an IDX file (``.gz`` is decompressed), in native byte order.

    Raises InfoplaneError with one line for a file that is not IDX, is truncated or
    carries extra bytes.
    """
    path = Path(path)
    try:
        if path.suffix.lower() == ".gz":
            with gzip.open(path, "rb") as handle:
                raw = handle.read()
        else:
            raw = path.read_bytes()
    except FileNotFoundError:
        raise InfoplaneError(f"{path}: no such IDX file") from None
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
        raise InfoplaneError(f"{path}: not a readable gzip file ({exc})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in TYPES or raw[3] == 0:
        raise InfoplaneError(f"{path}: not an IDX file (bad magic number {raw[:4].hex()!r})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise InfoplaneError(f"{path}: truncated IDX header ({len(raw)} bytes)")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(TYPES[raw[2]])
    expected = header + math.prod(dims) * dtype.itemsize  # exact: no int64 overflow
    if len(raw) != expected:
        state = "truncated" if len(raw) < expected else "longer than its header says"
        raise InfoplaneError(
            f"{path}: IDX file {state}: dims {'x'.join(map(str, dims))} need "
            f"{expected} bytes, found {len(raw)}"
        )
    values = np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)
    return values.astype(dtype.newbyteorder("="))  # a writable copy


def load_idx(
    images: str | Path, labels: str | Path,
    test_images: str | Path | None = None, test_labels: str | Path | None = None,
) -> Dataset:
    """A data set from IDX image and label files, with an optional fixed test split.

    Images (n x rows x cols, any number of trailing dimensions) are flattened per
    sample (``Dataset.input_shape`` keeps rows x cols); unsigned-byte pixels are
    scaled to [0, 1] (divided by 255), other types are kept as stored. Labels are
    recoded to 0..K-1 over both splits. With test files, their rows follow the
    training rows and form ``Dataset.test_mask``.
    """
    X, y, shape = _pair(images, labels)
    test_mask = None
    if (test_images is None) != (test_labels is None):
        raise InfoplaneError("IDX test split needs both the images and the labels file")
    if test_images is not None:
        X_test, y_test, test_shape = _pair(test_images, test_labels)
        if test_shape != shape:
            raise InfoplaneError(
                f"{test_images}: images of shape {test_shape}, but the training images "
                f"are {shape}"
            )
        test_mask = np.repeat([False, True], [len(X), len(X_test)])
        X, y = np.concatenate([X, X_test]), np.concatenate([y, y_test])
    name = Path(images).resolve().parent.name or "idx"
    return labelled(name, X, y, str(images), test_mask=test_mask, input_shape=shape)


def load_idx_dir(directory: str | Path) -> Dataset:
    """The IDX files of a directory in the MNIST layout.

    It must hold ``train-images-idx3-ubyte`` and ``train-labels-idx1-ubyte`` (each
    raw or ``.gz``; a ``.`` before ``idx`` is accepted too); ``t10k-images`` /
    ``t10k-labels`` files, if present, are the fixed test split.
    """
    directory = Path(directory)
    train = _find(directory, "train-images", 3), _find(directory, "train-labels", 1)
    test = _find(directory, "t10k-images", 3), _find(directory, "t10k-labels", 1)
    if None in train:
        raise InfoplaneError(
            f"{directory}: no IDX training files (expected train-images-idx3-ubyte[.gz] "
            "and train-labels-idx1-ubyte[.gz])"
        )
    if (test[0] is None) != (test[1] is None):
        missing = "t10k-images-idx3-ubyte" if test[0] is None else "t10k-labels-idx1-ubyte"
        raise InfoplaneError(f"{directory}: {missing}[.gz] is missing for the test split")
    return load_idx(*train, *test)


def is_idx_file(path: Path) -> bool:
    """Whether ``path`` is named like an IDX file (``...idx3-ubyte``, ``.gz`` or not)."""
    name = path.name.lower().removesuffix(".gz")
    return "idx" in name and name.endswith("ubyte")


def _find(directory: Path, stem: str, ndim: int) -> Path | None:
    for sep in ("-", "."):
        for ext in ("", ".gz"):
            path = directory / f"{stem}{sep}idx{ndim}-ubyte{ext}"
            if path.is_file():
                return path
    return None


def _pair(
    images: str | Path, labels: str | Path
) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """Flattened, scaled images, their labels and the shape of one image."""
    X, y = read_idx(images), read_idx(labels)
    if X.ndim < 2:
        raise InfoplaneError(f"{images}: IDX images need >= 2 dimensions, got {X.ndim}")
    if y.ndim != 1:
        raise InfoplaneError(f"{labels}: IDX labels must be a vector, got {y.ndim} dimensions")
    if len(X) != len(y):
        raise InfoplaneError(
            f"{labels}: {len(y)} labels for {len(X)} images in {Path(images).name}"
        )
    shape = X.shape[1:]
    X = X.reshape(len(X), -1)
    X = X / np.float32(255) if X.dtype == np.uint8 else X.astype(np.float64)
    return X, y, shape

