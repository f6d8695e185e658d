"""Claim 4 of the paper: adding hidden layers shortens training.

Shwartz-Ziv & Tishby (2017, Figure 5) train networks of 1 to 6 hidden layers and see
that deeper networks fit the labels, and compress, in fewer epochs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import entr

from infoplane.analysis._bootstrap import (
    BOOTSTRAP_RESAMPLES,
    BOOTSTRAP_SEED,
    resampled_means,
    seed_matrix,
    seed_resamples,
)
from infoplane.analysis._compression import (
    MIN_COMPRESSION_BITS,
    compression,
    resampled_ixt_curves,
    seed_mean_ixt,
    select_estimator,
)
from infoplane.analysis._stats import spread

FIT_FRACTION = 0.95
"""A layer has *fitted* the labels once its I(T;Y) reaches this fraction of I(X;Y)."""

COMPRESSION_DONE = 0.9
"""A layer's compression is *done* once it has lost this fraction of its total drop."""


def input_label_information(p_y_given_x: np.ndarray) -> float:
    """I(X;Y) in bits for equally likely inputs x and labels drawn from ``p_y_given_x``.

    I(X;Y) = H(Y) - H(Y|X) with p(y) the mean of the rows; for deterministic labels
    (one-hot rows) it is H(Y).

    >>> input_label_information(np.array([[1.0, 0.0], [0.0, 1.0]]))
    1.0
    """
    p = np.asarray(p_y_given_x, dtype=float)
    h_y = entr(p.mean(axis=0)).sum()
    h_y_given_x = entr(p).sum(axis=1).mean()
    return float(max(h_y - h_y_given_x, 0.0) / np.log(2))


def epochs_to_fit(
    information: pd.DataFrame,
    target_bits: float,
    *,
    fraction: float = FIT_FRACTION,
    estimator: str | None = None,
) -> pd.DataFrame:
    """Per layer, the first logged epoch at which I(T;Y) >= ``fraction * target_bits``.

    Parameters
    ----------
    information : DataFrame
        The run's ``information`` table (bits).
    target_bits : float
        I(X;Y) in bits (see :func:`input_label_information`).
    fraction : float, default 0.95
    estimator : str, optional
        Which estimator's rows to use (default: the first in the table).

    Returns
    -------
    DataFrame
        One row per layer: ``layer``; ``fit_epoch``, for the seed-averaged I(T;Y);
        ``fit_median``, ``fit_q25``, ``fit_q75``, ``fit_std`` over the seeds' own
        epochs; ``n_reached`` of ``n_seeds``. Epochs are +inf where the level is not
        reached within the run (quantiles then may be inf too).

    Examples
    --------
    >>> info = pd.DataFrame({"seed": 0, "epoch": [0, 10, 100], "layer": 1,
    ...                      "estimator": "binning", "ixt": 5.0, "ity": [0.1, 0.5, 0.97]})
    >>> float(epochs_to_fit(info, 1.0).fit_epoch.iloc[0])
    100.0
    """
    rows, _ = select_estimator(information, estimator)
    level = fraction * target_bits
    mean = seed_mean_ixt(rows)
    out = []
    for layer, curve in mean.groupby("layer", sort=True):
        each = np.array(
            [
                _first_reaching(s.sort_values("epoch", kind="stable"), level)
                for _, s in rows[rows["layer"] == layer].groupby("seed", sort=True)
            ]
        )
        out.append(
            {
                "layer": int(layer),
                "fit_epoch": _first_reaching(curve, level),
                **spread(each, "fit"),
                "n_reached": int(np.isfinite(each).sum()),
                "n_seeds": int(each.size),
            }
        )
    return pd.DataFrame(out)


def _first_reaching(curve: pd.DataFrame, level: float) -> float:
    reached = np.flatnonzero(curve["ity"].to_numpy() >= level)
    return float(curve["epoch"].iloc[reached[0]]) if reached.size else float("inf")


def compression_durations(
    information: pd.DataFrame,
    *,
    estimator: str | None = None,
    done: float = COMPRESSION_DONE,
    min_bits: float = MIN_COMPRESSION_BITS,
) -> pd.DataFrame:
    """Per layer, how many epochs the compression of the seed-averaged I(X;T) takes.

    The compression starts at the I(X;T) peak (``onset_epoch``, see
    :func:`compression`) and ends (``end_epoch``) at the first later logged epoch
    where I(X;T) has fallen by ``done`` (default 90%) of its total fall from peak to
    end; ``compression_time = end_epoch - onset_epoch``. Layers that do not compress
    (a fall below ``min_bits`` bits) get NaN.

    Returns
    -------
    DataFrame
        One row per layer: ``layer``, ``onset_epoch``, ``end_epoch``,
        ``compression_time`` (epochs), ``compression_bits`` (bits), ``compresses``.
    """
    rows, _ = select_estimator(information, estimator)
    comp = compression(rows, min_bits=min_bits, n_boot=0).set_index("layer")
    mean = seed_mean_ixt(rows)
    out = []
    for layer, curve in mean.groupby("layer", sort=True):
        c = comp.loc[layer]
        end = float("nan")
        if c["compresses"]:
            after = curve[curve["epoch"] >= c["onset_epoch"]]
            level = c["peak_ixt"] - done * c["compression_bits"]
            end = float(after["epoch"].iloc[np.flatnonzero(after["ixt"] <= level)[0]])
        out.append(
            {
                "layer": int(layer),
                "onset_epoch": float(c["onset_epoch"]) if c["compresses"] else float("nan"),
                "end_epoch": end,
                "compression_time": end - float(c["onset_epoch"]),
                "compression_bits": float(c["compression_bits"]),
                "compresses": bool(c["compresses"]),
            }
        )
    return pd.DataFrame(out)


def error_epoch(
    training: pd.DataFrame,
    level: float,
    *,
    n_boot: int = 0,
    seed: int = BOOTSTRAP_SEED,
) -> tuple[float, np.ndarray]:
    """The first logged epoch where the seed-mean training error (1 - accuracy) < ``level``.

    Returns the epoch (+inf if never) and, for ``n_boot`` > 0, the same epoch on each
    resample of the seeds (:func:`~infoplane.analysis.seed_resamples`), shape (n_boot,).

    >>> t = pd.DataFrame({"seed": [0, 0, 1, 1], "epoch": [0, 10, 0, 10],
    ...                   "train_accuracy": [0.5, 0.95, 0.6, 0.93]})
    >>> error_epoch(t, 0.1)[0]
    10.0
    """
    _, epochs, matrix = seed_matrix(training, "train_accuracy")
    every = np.nanmean(matrix, axis=0)[None, :]
    if n_boot > 0:
        picks = seed_resamples(matrix.shape[0], n_boot=n_boot, seed=seed)
        every = np.vstack([every, resampled_means(matrix, picks)])
    below = (1.0 - every) < level
    first = np.where(below.any(axis=1), epochs[np.argmax(below, axis=1)].astype(float), np.inf)
    return float(first[0]), first[1:]


def compression_duration_replicates(
    information: pd.DataFrame,
    *,
    estimator: str | None = None,
    done: float = COMPRESSION_DONE,
    min_bits: float = MIN_COMPRESSION_BITS,
    n_boot: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> pd.DataFrame:
    """:func:`compression_durations` on ``n_boot`` resamples of the seeds.

    Replicate b averages the I(X;T) curves of the seeds drawn by row b of
    :func:`~infoplane.analysis.seed_resamples` (``seed``), so its replicates pair up with
    those of :func:`~infoplane.analysis.compression_replicates` and
    :func:`error_epoch` of the same run.

    Returns
    -------
    DataFrame
        One row per (replicate, layer): ``replicate``, ``layer``, ``onset_epoch``,
        ``end_epoch``, ``compression_time`` (epochs; NaN where that resample's curve
        falls by less than ``min_bits``), ``compression_bits`` (bits), ``compresses``.

    Examples
    --------
    Two identical seeds: every resample is the curve itself (onset 100, end 1000).

    >>> info = pd.DataFrame({"seed": [0] * 4 + [1] * 4, "epoch": [0, 10, 100, 1000] * 2,
    ...                      "layer": 1, "estimator": "binning",
    ...                      "ixt": [6.0, 9.0, 10.0, 8.0] * 2, "ity": 0.5})
    >>> reps = compression_duration_replicates(info, n_boot=5)
    >>> reps["compression_time"].unique().tolist()
    [900.0]
    """
    parts = []
    for layer, epochs, curves, k in resampled_ixt_curves(information, estimator,
                                                          n_boot=n_boot, seed=seed):
        peak = curves[np.arange(n_boot), k]
        bits = peak - curves[:, -1]
        compresses = bits >= min_bits
        level = peak - done * bits
        after = np.arange(epochs.size)[None, :] >= k[:, None]
        reached = after & (curves <= level[:, None])
        end_index = np.argmax(reached, axis=1)  # the last epoch always reaches the level
        onset = epochs[k].astype(float)
        end = np.where(compresses, epochs[end_index].astype(float), np.nan)
        parts.append(
            pd.DataFrame(
                {
                    "replicate": np.arange(n_boot),
                    "layer": int(layer),
                    "onset_epoch": np.where(compresses, onset, np.nan),
                    "end_epoch": end,
                    "compression_time": end - onset,
                    "compression_bits": bits,
                    "compresses": compresses,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)
