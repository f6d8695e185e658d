"""Loss and accuracy of an ensemble's softmax outputs, compiled (one pass per seed)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from infoplane.nets._parallel import over_rows

PROB_FLOOR = 1e-12
"""Probabilities are floored here before the log in the loss, to keep it finite."""
LOG_EVERY = 16
"""Factors multiplied before one log: 16 factors >= PROB_FLOOR stay above 1e-192."""


def output_metrics(probs, y, train_mask):
    """Mean loss (nats) and accuracy of each row of ``probs`` on its train and test inputs.

    ``probs`` (rows, n, classes) any strides; ``train_mask`` (rows, n). Returns
    (rows, 4) float64: train loss, train accuracy, test loss, test accuracy; NaN
    where a set is empty. A prediction is the first class of highest probability
    (as ``argmax``); the loss is -log(max(p[y], PROB_FLOOR)). Rows are split over threads.
    """
    out = np.empty((probs.shape[0], 4))
    over_rows(probs.shape[0], lambda lo, hi: _metrics_rows(lo, hi, probs, y, train_mask, out))
    return out


@njit(nogil=True, cache=True, error_model="numpy")
def _metrics_rows(lo, hi, probs, y, train_mask, out):
    """:func:`output_metrics` of rows ``lo .. hi - 1`` into ``out``, on the calling thread."""
    n, classes = probs.shape[1], probs.shape[2]
    for r in range(lo, hi):
        loss = np.zeros(2)
        product = np.ones(2)  # of floored p[y]: one log per LOG_EVERY factors, not each
        factors = np.zeros(2, dtype=np.int64)
        right = np.zeros(2)
        count = np.zeros(2)
        for i in range(n):
            best = 0
            for c in range(1, classes):
                if probs[r, i, c] > probs[r, i, best]:
                    best = c
            k = 0 if train_mask[r, i] else 1
            product[k] *= max(float(probs[r, i, y[i]]), PROB_FLOOR)
            factors[k] += 1
            if factors[k] == LOG_EVERY:
                loss[k] -= math.log(product[k])
                product[k] = 1.0
                factors[k] = 0
            right[k] += best == y[i]
            count[k] += 1
        for k in range(2):
            loss[k] -= math.log(product[k])
            out[r, 2 * k] = loss[k] / count[k] if count[k] > 0 else np.nan
            out[r, 2 * k + 1] = right[k] / count[k] if count[k] > 0 else np.nan
