"""Data sets: the built-in tasks (ico12, the default, and tishby12) and loaders for files."""

from __future__ import annotations

from infoplane.datasets._dataset import Dataset
from infoplane.datasets.files import load_file
from infoplane.datasets.ico12 import ico12
from infoplane.datasets.tishby12 import tishby12
from infoplane.errors import InfoplaneError

BUILT_IN = ("ico12", "tishby12")
GENERATORS = {"ico12": ico12, "tishby12": tishby12}
"""The built-in tasks by name; each takes ``(soft_labels=None, *, seed=0)``."""


def load_dataset(spec: str, *, soft_labels: float | None = None, seed: int = 0) -> Dataset:
    """The data set named ``spec`` (a built-in name) or stored at path ``spec``.

    ``soft_labels`` (gamma of the soft rule) applies to the built-in tasks only.
    """
    if spec in GENERATORS:
        return GENERATORS[spec](soft_labels, seed=seed)
    if soft_labels is not None:
        raise InfoplaneError(
            f"soft-labels applies to the built-in data sets ({', '.join(BUILT_IN)}) only"
        )
    return load_file(spec)


__all__ = ["BUILT_IN", "Dataset", "ico12", "load_dataset", "load_file", "tishby12"]
