"""The compression phase: where each layer's I(X;T) peaks, and how much it then falls.

Shwartz-Ziv & Tishby (2017) see two phases in the information plane: a short
*fitting* phase, where I(X;T) and I(T;Y) grow, then a long *compression* phase, where
I(X;T) falls while I(T;Y) stays or grows. Here the onset of compression is the epoch
where the seed-averaged I(X;T) peaks, and the amount is the peak minus the final value.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from infoplane.analysis._bootstrap import (
    BOOTSTRAP_RESAMPLES,
    BOOTSTRAP_SEED,
    percentile_interval,
    resampled_means,
    seed_matrix,
    seed_resamples,
)
from infoplane.analysis._stats import spread

MIN_COMPRESSION_BITS = 0.1
"""A layer *compresses* when its seed-averaged I(X;T) falls by at least this many bits
from its peak to the end of training; smaller drops are within the estimator's noise
(one input pattern of 4096 merged into another changes I(X;T) by ~0.003 bits)."""


def select_estimator(
    information: pd.DataFrame, estimator: str | None = None
) -> tuple[pd.DataFrame, str]:
    """The rows of ``estimator`` (default: the first one in the table) and its name."""
    if estimator is None:
        estimator = str(information["estimator"].iloc[0])
    rows = information[information["estimator"] == estimator]
    if rows.empty:
        present = ", ".join(map(str, dict.fromkeys(information["estimator"])))
        raise ValueError(f"no rows for estimator {estimator!r}; the table has {present}")
    return rows, estimator


def seed_mean_ixt(information: pd.DataFrame) -> pd.DataFrame:
    """I(X;T) and I(T;Y) averaged over seeds, per (layer, epoch), sorted; bits."""
    return (
        information.groupby(["layer", "epoch"], as_index=False)[["ixt", "ity"]]
        .mean()
        .sort_values(["layer", "epoch"], kind="stable")
        .reset_index(drop=True)
    )


def compression(
    information: pd.DataFrame,
    *,
    estimator: str | None = None,
    min_bits: float = MIN_COMPRESSION_BITS,
    n_boot: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> pd.DataFrame:
    """Per layer, the compression onset (epoch of the I(X;T) peak) and amount (bits).

    Parameters
    ----------
    information : DataFrame
        The run's ``information`` table (seed, epoch, layer, estimator, ixt, ity; bits).
    estimator : str, optional
        Which estimator's rows to use (default: the first in the table).
    min_bits : float, default 0.1
        The least drop, in bits, for a layer to count as compressing.
    n_boot : int, default 1000
        Resamples of the seeds for the 95% intervals (0: no intervals, NaN).
    seed : int, default 0
        Seed of the resampling (see :func:`compression_replicates`).

    Returns
    -------
    DataFrame
        One row per layer: ``layer``; ``onset_epoch``, the logged epoch where the
        seed-averaged I(X;T) is largest (the first such epoch); ``peak_ixt`` and
        ``final_ixt``, that curve's maximum and its value at the last logged epoch
        (bits); ``compression_bits = peak_ixt - final_ixt`` (bits, >= 0);
        ``compresses``, whether ``compression_bits >= min_bits``; the spread over
        seeds of each seed's own onset and amount: ``onset_median``, ``onset_q25``,
        ``onset_q75``, ``onset_std`` (epochs) and ``compression_bits_median``,
        ``compression_bits_q25``, ``compression_bits_q75``, ``compression_bits_std``
        (bits); ``onset_ci_low``, ``onset_ci_high``, ``compression_bits_ci_low``,
        ``compression_bits_ci_high``, the 95% bootstrap interval over seeds of the
        seed-averaged onset and amount; ``n_seeds``.

    Examples
    --------
    A layer whose I(X;T) climbs to 10 bits at epoch 100, then falls to 8:

    >>> info = pd.DataFrame({"seed": 0, "epoch": [0, 10, 100, 1000], "layer": 1,
    ...                      "estimator": "binning", "ixt": [6.0, 9.0, 10.0, 8.0],
    ...                      "ity": 0.5})
    >>> row = compression(info).iloc[0]
    >>> int(row.onset_epoch), float(row.compression_bits), bool(row.compresses)
    (100, 2.0, True)
    """
    rows, _ = select_estimator(information, estimator)
    mean = seed_mean_ixt(rows)
    boot = (
        compression_replicates(rows, n_boot=n_boot, seed=seed).groupby("layer")
        if n_boot > 0
        else None
    )
    out = []
    for layer, curve in mean.groupby("layer", sort=True):
        ixt = curve["ixt"].to_numpy()
        epochs = curve["epoch"].to_numpy()
        k = int(np.argmax(ixt))
        onsets, amounts = [], []
        for _, seed in rows[rows["layer"] == layer].groupby("seed", sort=True):
            seed = seed.sort_values("epoch", kind="stable")
            values = seed["ixt"].to_numpy()
            j = int(np.argmax(values))
            onsets.append(float(seed["epoch"].iloc[j]))
            amounts.append(float(values[j] - values[-1]))
        amount = float(ixt[k] - ixt[-1])
        ci = {}
        for name, column in (("onset", "onset_epoch"), ("compression_bits", "compression_bits")):
            samples = boot.get_group(layer)[column].to_numpy() if boot is not None else []
            ci[f"{name}_ci_low"], ci[f"{name}_ci_high"] = percentile_interval(samples)
        out.append(
            {
                "layer": int(layer),
                "onset_epoch": int(epochs[k]),
                "peak_ixt": float(ixt[k]),
                "final_ixt": float(ixt[-1]),
                "compression_bits": amount,
                "compresses": bool(amount >= min_bits),
                **spread(np.array(onsets), "onset"),
                **spread(np.array(amounts), "compression_bits"),
                **ci,
                "n_seeds": len(onsets),
            }
        )
    return pd.DataFrame(out)


def resampled_ixt_curves(
    information: pd.DataFrame, estimator: str | None, *, n_boot: int, seed: int,
) -> Iterator[tuple[Any, np.ndarray, np.ndarray, np.ndarray]]:
    """Per layer: (layer, logged epochs, I(X;T) curves of the seed-mean over ``n_boot``
    bootstrap resamples of the seeds (n_boot x epochs, bits; NaN as -inf), index of each
    curve's peak) — the resampling shared by the compression and duration replicates."""
    rows, _ = select_estimator(information, estimator)
    for layer, part in rows.groupby("layer", sort=True):
        _, epochs, matrix = seed_matrix(part, "ixt")
        curves = resampled_means(matrix, seed_resamples(matrix.shape[0], n_boot=n_boot, seed=seed))
        curves = np.where(np.isnan(curves), -np.inf, curves)
        yield layer, epochs, curves, np.argmax(curves, axis=1)


def compression_replicates(
    information: pd.DataFrame,
    *,
    estimator: str | None = None,
    n_boot: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> pd.DataFrame:
    """The compression of each layer on ``n_boot`` resamples of the seeds.

    Replicate b averages the I(X;T) curves of the seeds drawn by row b of
    :func:`~infoplane.analysis.seed_resamples` (``seed``) and finds the peak of that
    curve, as :func:`compression` does for all the seeds.

    Returns
    -------
    DataFrame
        One row per (replicate, layer): ``replicate``, ``layer``, ``onset_epoch``,
        ``peak_ixt``, ``final_ixt``, ``compression_bits`` (bits).
    """
    parts = []
    for layer, epochs, curves, k in resampled_ixt_curves(information, estimator,
                                                          n_boot=n_boot, seed=seed):
        peak = curves[np.arange(n_boot), k]
        final = curves[:, -1]
        parts.append(
            pd.DataFrame(
                {
                    "replicate": np.arange(n_boot),
                    "layer": int(layer),
                    "onset_epoch": epochs[k].astype(float),
                    "peak_ixt": peak,
                    "final_ixt": final,
                    "compression_bits": peak - final,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)
