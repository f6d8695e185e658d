"""The data set type shared by generators and loaders."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

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
    label_values : array (n_classes,) or None
        The label each class index stood for in the source (``label_values[k]`` was
        recoded to class k); None when the labels were 0..n_classes-1 already.
    test_mask : bool array (n_samples,) or None
        A fixed test split (True = test row, e.g. MNIST's ``t10k`` files), the same
        for every seed; None when each seed draws its own split (``--train-fraction``).
    probe : int64 array (n_probe,) or None
        The sorted rows forming the probe set, the inputs on which I(X;T), I(T;Y) and
        the training metrics are measured; None means every row.
    input_shape : tuple of int or None
        The shape of one sample before it was flattened into a row of ``X`` (images:
        ``(rows, cols)``, so ``X.reshape(-1, *input_shape)`` restores them for a CNN);
        None for tabular data.
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    p_y_given_x: np.ndarray | None = None
    label_values: np.ndarray | None = None
    test_mask: np.ndarray | None = None
    probe: np.ndarray | None = None
    input_shape: tuple[int, ...] | None = None

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_inputs(self) -> int:
        return int(self.X.shape[1])

    @property
    def n_classes(self) -> int:
        return int(max(self.y.max() + 1, 2))

    def probe_set(self) -> Dataset:
        """The data set restricted to its probe rows (itself when ``probe`` is None)."""
        if self.probe is None:
            return self
        rows = self.probe
        return replace(
            self, X=self.X[rows], y=self.y[rows],
            p_y_given_x=None if self.p_y_given_x is None else self.p_y_given_x[rows],
            test_mask=None if self.test_mask is None else self.test_mask[rows], probe=None,
        )

    def labels_json(self) -> str:
        """``labels.json`` of a run directory: the source label of each class index."""
        values = (
            list(range(self.n_classes)) if self.label_values is None
            else [v.item() if isinstance(v, np.generic) else v for v in self.label_values]
        )
        return json.dumps({"label_values": values}) + "\n"
