"""Which epochs are logged: unique, log-spaced (base 2) epochs."""

from __future__ import annotations

import numpy as np

from infoplane.errors import check


def log_spaced_epochs(n_epochs: int, n_points: int) -> np.ndarray:
    """About ``n_points`` unique epochs in 1..n_epochs, log-spaced in base 2.

    Always includes epoch 1 (after the first epoch) and ``n_epochs``; at most
    ``n_epochs`` values. Epoch e means "after e epochs of training"; epoch 0 is the
    initialisation and is always logged too (it is not counted in ``n_points``).

    >>> log_spaced_epochs(10, 4).tolist()
    [0, 1, 2, 5, 10]
    """
    check(n_epochs >= 1, f"epochs must be >= 1, got {n_epochs}")
    check(n_points >= 2, f"log-epochs must be >= 2, got {n_points}")
    n_points = min(n_points, n_epochs)
    # Grow the requested count until enough unique integers survive the rounding.
    for count in range(n_points, 4 * n_points + 1):
        epochs = np.unique(np.round(np.logspace(0, np.log2(n_epochs), count, base=2)))
        if epochs.size >= n_points:
            break
    return np.concatenate([[0], epochs.astype(np.int64)])
