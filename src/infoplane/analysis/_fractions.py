"""Claim 1 of the paper: most of the training epochs are spent compressing."""

from __future__ import annotations

import numpy as np
import pandas as pd

from infoplane.analysis._compression import (
    MIN_COMPRESSION_BITS,
    compression,
    select_estimator,
)


def phase_fractions(
    information: pd.DataFrame,
    *,
    estimator: str | None = None,
    min_bits: float = MIN_COMPRESSION_BITS,
) -> pd.DataFrame:
    """Per layer, the share of training spent fitting and compressing.

    Definition: the seed-averaged I(X;T) of a layer peaks at its compression onset e*
    (:func:`compression`). Training from the first logged epoch e0 to the last e1 then
    splits into a *fitting* phase [e0, e*] and a *compression* phase [e*, e1], in which
    I(X;T) falls (overall) from its peak to its final value. The compression fraction
    is the compression phase's share of the epochs:

        compression_fraction     = (e1 - e*) / (e1 - e0)                  (epochs)
        compression_fraction_log = (u(e1) - u(e*)) / (u(e1) - u(e0)),  u(e) = log2(1 + e)

    the first counts epochs, as the paper's claim does ("most of the training epochs");
    the second measures the same split on the log-epoch axis of the paper's figures,
    where the early epochs weigh as much as the late ones. A layer whose I(X;T) falls
    by less than ``min_bits`` from its peak does not compress at all: its compression
    phase is empty and both fractions are 0.

    Parameters
    ----------
    information : DataFrame
        The run's ``information`` table (bits).
    estimator : str, optional
        Which estimator's rows to use (default: the first in the table).
    min_bits : float, default 0.1
        The least fall of I(X;T), in bits, that counts as compression.

    Returns
    -------
    DataFrame
        One row per layer: ``layer``, ``onset_epoch``, ``compresses``,
        ``fitting_epochs`` and ``compression_epochs`` (numbers of epochs),
        ``compression_fraction`` and ``compression_fraction_log`` (in [0, 1]).

    Examples
    --------
    >>> info = pd.DataFrame({"seed": 0, "epoch": [0, 10, 100, 1000], "layer": 1,
    ...                      "estimator": "binning", "ixt": [6.0, 9.0, 10.0, 8.0],
    ...                      "ity": 0.5})
    >>> float(phase_fractions(info).compression_fraction.iloc[0])
    0.9
    """
    rows, _ = select_estimator(information, estimator)
    comp = compression(rows, min_bits=min_bits, n_boot=0)
    e0, e1 = float(rows["epoch"].min()), float(rows["epoch"].max())
    onset = comp["onset_epoch"].to_numpy(dtype=float)
    compresses = comp["compresses"].to_numpy(dtype=bool)
    start = np.where(compresses, onset, e1)  # no compression: the phase is empty
    span = max(e1 - e0, 1.0)
    u = np.log2
    return pd.DataFrame(
        {
            "layer": comp["layer"],
            "onset_epoch": comp["onset_epoch"],
            "compresses": compresses,
            "fitting_epochs": start - e0,
            "compression_epochs": e1 - start,
            "compression_fraction": (e1 - start) / span,
            "compression_fraction_log": (u(1 + e1) - u(1 + start))
            / max(u(1 + e1) - u(1 + e0), 1e-12),
        }
    )
