"""Data sets: the built-in tasks (ico12, the default, and tishby12), digits, and
loaders for users' files.

Every loader recodes labels to 0..K-1 (``Dataset.label_values`` keeps the originals)
and rejects malformed files with one line (:class:`infoplane.errors.InfoplaneError`).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from infoplane.datasets._checks import recode_labels
from infoplane.datasets._dataset import Dataset
from infoplane.datasets.csvfile import load_csv
from infoplane.datasets.digits import digits
from infoplane.datasets.files import load_file
from infoplane.datasets.ico12 import ico12
from infoplane.datasets.idx import is_idx_file, load_idx, load_idx_dir, read_idx
from infoplane.datasets.tishby12 import tishby12
from infoplane.errors import InfoplaneError

GENERATORS = {"ico12": ico12, "tishby12": tishby12}
"""The built-in tasks by name; each takes ``(soft_labels=None, *, seed=0)``."""
BUILT_IN = (*GENERATORS, "digits")
PROBE_SIZE = 10_000
"""Samples in the probe set of a larger data set (see :func:`with_probe`)."""
PROBE_SEED = 0


def load_dataset(
    spec: str, *, soft_labels: float | None = None, seed: int = 0,
    label_column: str | int | None = None, probe_size: int = PROBE_SIZE,
) -> Dataset:
    """The data set named ``spec`` (a built-in name) or stored at path ``spec``.

    ``spec`` is ``ico12``, ``tishby12``, ``digits``, a ``.mat`` / ``.npz`` / ``.csv``
    (or ``.csv.gz``) file, a directory of IDX files in the MNIST layout, or two IDX
    files ``IMAGES,LABELS``. ``soft_labels`` (gamma of the soft rule) applies to the
    built-in tasks only, ``label_column`` to CSV files only. A data set of more than
    ``probe_size`` samples gets a probe set of ``probe_size`` of them (:func:`with_probe`).

    Raises InfoplaneError (one line) for an unknown name, a missing or malformed file.
    """
    path = Path(spec)
    is_csv = path.name.lower().endswith((".csv", ".csv.gz"))
    if label_column is not None and not is_csv:
        raise InfoplaneError("--label-column applies to CSV data files only")
    if spec in GENERATORS:
        return with_probe(GENERATORS[spec](soft_labels, seed=seed), probe_size)
    if soft_labels is not None:
        raise InfoplaneError(
            f"soft-labels applies to the built-in tasks ({', '.join(GENERATORS)}) only"
        )
    if spec == "digits":
        data = digits()
    elif path.is_dir():
        data = load_idx_dir(path)
    elif is_csv:
        data = load_csv(path, label_column)
    elif "," in spec and not path.exists():
        images, _, labels = spec.partition(",")
        data = load_idx(images, labels)
    elif is_idx_file(path) and path.is_file():
        raise InfoplaneError(
            f"{path}: an IDX file needs its partner; pass the directory or IMAGES,LABELS"
        )
    elif not path.exists() and not path.suffix:
        raise InfoplaneError(
            f"no data set or file named {spec!r} (built-in: {', '.join(BUILT_IN)})"
        )
    else:
        data = load_file(path)
    return with_probe(data, probe_size)


def with_probe(data: Dataset, probe_size: int = PROBE_SIZE) -> Dataset:
    """``data`` with a probe set of ``probe_size`` rows if it has more samples.

    The probe rows are drawn once without replacement by a fixed seed (``PROBE_SEED``),
    the same for every run and seed, from train and test rows alike, so I(X;T), I(T;Y)
    and the training metrics of a large data set (MNIST: 70000 images) are measured on
    a fixed sample of it. Smaller data sets are probed on every sample.
    """
    if probe_size < 1:
        raise InfoplaneError(f"probe size must be >= 1, got {probe_size}")
    if data.n_samples <= probe_size:
        return data
    rng = np.random.default_rng(PROBE_SEED)
    rows = np.sort(rng.choice(data.n_samples, size=probe_size, replace=False))
    return replace(data, probe=rows.astype(np.int64))


__all__ = [
    "BUILT_IN", "GENERATORS", "PROBE_SIZE", "Dataset", "digits", "ico12", "load_csv",
    "load_dataset", "load_file", "load_idx", "load_idx_dir", "read_idx", "recode_labels",
    "tishby12", "with_probe",
]
