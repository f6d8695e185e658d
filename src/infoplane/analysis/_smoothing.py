"""Smoothing of curves measured at many epochs: averages over log-spaced epoch bins."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

BINS_PER_OCTAVE = 4
"""Default resolution of the log-epoch bins: 4 bins per doubling of the epoch."""


def log_epoch_bins(
    epochs: np.ndarray | Sequence[int], *, bins_per_octave: int = BINS_PER_OCTAVE
) -> np.ndarray:
    """The log-spaced bin of each epoch: ``floor(bins_per_octave * log2(epoch))``.

    Epoch 0 (the initialisation) gets a bin of its own, -1. Early epochs each fall in a
    bin of their own; late bins hold many epochs (bin k spans the epochs in
    [2**(k / b), 2**((k + 1) / b)), b = ``bins_per_octave``).

    >>> log_epoch_bins([0, 1, 2, 3, 4, 1000, 1100], bins_per_octave=2).tolist()
    [-1, 0, 2, 3, 4, 19, 20]
    """
    if bins_per_octave < 1:
        raise ValueError(f"bins_per_octave must be >= 1, got {bins_per_octave}")
    e = np.asarray(epochs, dtype=float)
    if (e < 0).any():
        raise ValueError("epochs must be >= 0")
    out = np.full(e.shape, -1, dtype=np.int64)
    pos = e > 0
    # A tiny relative tolerance so that exact powers of two land in their own bin.
    out[pos] = np.floor(bins_per_octave * np.log2(e[pos]) + 1e-9).astype(np.int64)
    return out


def smooth_log_epochs(
    df: pd.DataFrame,
    columns: Sequence[str],
    *,
    by: Sequence[str] = (),
    epoch: str = "epoch",
    bins_per_octave: int = BINS_PER_OCTAVE,
) -> pd.DataFrame:
    """Average ``columns`` of ``df`` over log-spaced epoch bins, per group ``by``.

    Parameters
    ----------
    df : DataFrame
        Long table with an ``epoch`` column (integers >= 0).
    columns : sequence of str
        The columns to average (any unit; the unit is kept).
    by : sequence of str, default ()
        Group columns (e.g. ``("layer",)`` or ``("seed", "layer")``).
    epoch : str, default "epoch"
        Name of the epoch column.
    bins_per_octave : int, default 4
        Bins per doubling of the epoch (see :func:`log_epoch_bins`).

    Returns
    -------
    DataFrame
        Columns ``by + [epoch] + columns``, one row per group and non-empty bin, sorted;
        ``epoch`` is the geometric mean of the bin's epochs (0 for the epoch-0 bin), a
        float.

    Notes
    -----
    Curves recorded every epoch (the gradient statistics) are very noisy late in
    training, where a log axis packs hundreds of epochs into a pixel; averaging in
    bins of equal width on that axis gives one point per bin with a noise that falls
    as the bins widen.
    """
    by = list(by)
    e = df[epoch].to_numpy()
    work = df[by + list(columns)].copy()
    work["_bin"] = log_epoch_bins(e, bins_per_octave=bins_per_octave)
    work["_log"] = np.log(np.maximum(e.astype(float), 1.0))
    work["_zero"] = e == 0
    agg = work.groupby(by + ["_bin"], as_index=False, sort=True).agg(
        **{c: (c, "mean") for c in columns},
        _log=("_log", "mean"),
        _zero=("_zero", "all"),
    )
    agg[epoch] = np.where(agg["_zero"], 0.0, np.exp(agg["_log"]))
    return agg[by + [epoch] + list(columns)].reset_index(drop=True)
