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
    """:func:`output_metrics` of rows ``lo .. hi - 1`` into ``out``, on the calling thread.

    Index 0 of each pair is the train set, 1 the test set; scalars, not small arrays,
    so that the first run compiles no array constructors for them.
    """
    n, classes = probs.shape[1], probs.shape[2]
    for r in range(lo, hi):
        loss0 = loss1 = 0.0
        product0 = product1 = 1.0  # of floored p[y]: one log per LOG_EVERY factors, not each
        factors0 = factors1 = 0
        right0 = right1 = 0
        count0 = count1 = 0
        for i in range(n):
            best = 0
            for c in range(1, classes):
                if probs[r, i, c] > probs[r, i, best]:
                    best = c
            p = max(float(probs[r, i, y[i]]), PROB_FLOOR)
            hit = 1 if best == y[i] else 0
            if train_mask[r, i]:
                product0 *= p
                factors0 += 1
                if factors0 == LOG_EVERY:
                    loss0 -= math.log(product0)
                    product0 = 1.0
                    factors0 = 0
                right0 += hit
                count0 += 1
            else:
                product1 *= p
                factors1 += 1
                if factors1 == LOG_EVERY:
                    loss1 -= math.log(product1)
                    product1 = 1.0
                    factors1 = 0
                right1 += hit
                count1 += 1
        loss0 -= math.log(product0)
        loss1 -= math.log(product1)
        out[r, 0] = loss0 / count0 if count0 > 0 else np.nan
        out[r, 1] = right0 / count0 if count0 > 0 else np.nan
        out[r, 2] = loss1 / count1 if count1 > 0 else np.nan
        out[r, 3] = right1 / count1 if count1 > 0 else np.nan
