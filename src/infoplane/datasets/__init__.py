"""Data sets: the paper's tishby12 generator and loaders for users' files."""

from __future__ import annotations

from infoplane.datasets._dataset import Dataset
from infoplane.datasets.files import load_file
from infoplane.datasets.tishby12 import tishby12
from infoplane.errors import InfoplaneError

BUILT_IN = ("tishby12",)


def load_dataset(spec: str, *, soft_labels: float | None = None, seed: int = 0) -> Dataset:
    """The data set named ``spec`` (a built-in name) or stored at path ``spec``.

    ``soft_labels`` (gamma of the soft rule) applies to tishby12 only.
    """
    if spec == "tishby12":
        return tishby12(soft_labels, seed=seed)
    if soft_labels is not None:
        raise InfoplaneError("soft-labels applies to the tishby12 data set only")
    return load_file(spec)


__all__ = ["BUILT_IN", "Dataset", "load_dataset", "load_file", "tishby12"]
