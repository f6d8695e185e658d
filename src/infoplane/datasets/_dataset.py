"""The data set type shared by generators and loaders."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Dataset:
    """Inputs, labels and (where known) the label distribution of a data set.

    Attributes
    ----------
    name : str
    X : float32 array (n_samples, n_inputs)
    y : int64 array (n_samples,), labels 0..n_classes-1
    p_y_given_x : float64 array (n_samples, n_classes) or None
        The exact p(y|x) where the data set defines one (tishby12 and its soft rule);
        for a loaded file, the one-hot of y.
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    p_y_given_x: np.ndarray | None = None

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_inputs(self) -> int:
        return int(self.X.shape[1])

    @property
    def n_classes(self) -> int:
        return int(max(self.y.max() + 1, 2))
