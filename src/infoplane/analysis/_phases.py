"""Claim 2 of the paper: compression starts at the drift-to-diffusion transition."""

from __future__ import annotations

import numpy as np
import pandas as pd

from infoplane.analysis._bootstrap import BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED
from infoplane.analysis._compression import (
    MIN_COMPRESSION_BITS,
    compression,
    compression_replicates,
    select_estimator,
)
from infoplane.analysis._fractions import phase_fractions
from infoplane.analysis._smoothing import BINS_PER_OCTAVE
from infoplane.analysis._transition import (
    SNR_BAND,
    SNR_THRESHOLD,
    drift_diffusion_transition,
    transition_replicates,
)


def phases_table(
    information: pd.DataFrame,
    gradients: pd.DataFrame,
    training: pd.DataFrame | None = None,
    *,
    estimator: str | None = None,
    min_bits: float = MIN_COMPRESSION_BITS,
    bins_per_octave: int = BINS_PER_OCTAVE,
) -> pd.DataFrame:
    """Per layer, the drift-to-diffusion transition beside the compression onset.

    Parameters
    ----------
    information, gradients : DataFrame
        The run's ``information`` (bits) and ``gradients`` tables.
    training : DataFrame, optional
        The run's ``training`` table; adds the training error at the transition.
    estimator : str, optional
        Which estimator's information to use (default: the first in the table).
    min_bits : float, default 0.1
        The least fall of I(X;T), in bits, that counts as compression.
    bins_per_octave : int, default 4
        Resolution of the log-epoch smoothing of the gradient curves.

    Returns
    -------
    DataFrame
        One row per layer (layer 1 = first hidden; the last is the output), columns:
        ``layer``, ``hidden`` (bool); the transition (:func:`drift_diffusion_transition`)
        ``transition_epoch``, ``transition_median``, ``transition_q25``,
        ``transition_q75``, ``transition_std``; the compression (:func:`compression`)
        ``onset_epoch``, ``onset_median``, ``onset_q25``, ``onset_q75``, ``peak_ixt``,
        ``final_ixt``, ``compression_bits`` and its ``_median``, ``_q25``, ``_q75``,
        ``_std`` over seeds (bits), ``compresses``; the phase split
        (:func:`phase_fractions`) ``compression_fraction``,
        ``compression_fraction_log``; the transition's sensitivity to its threshold,
        ``transition_early``, ``transition_late``, ``band_octaves``,
        ``clear_transition``; the 95% bootstrap intervals over seeds
        ``transition_ci_low``/``_high``, ``onset_ci_low``/``_high``,
        ``compression_bits_ci_low``/``_high``; ``onset_octaves``, log2(onset / transition) (0
        when compression starts exactly at the transition; NaN where either is
        missing or the layer does not compress); and, with ``training``,
        ``train_error_at_transition``, the seed-averaged training error (1 -
        accuracy) at the logged epoch nearest the transition on a log axis.
    """
    trans = drift_diffusion_transition(gradients, bins_per_octave=bins_per_octave)
    comp = compression(information, estimator=estimator, min_bits=min_bits)
    frac = phase_fractions(information, estimator=estimator, min_bits=min_bits)
    comp = comp.drop(columns=["onset_std", "n_seeds"])
    table = comp.merge(trans.drop(columns=["n_seeds"]), on="layer", how="outer")
    table = table.merge(
        frac[["layer", "compression_fraction", "compression_fraction_log"]], on="layer", how="left"
    )
    table.insert(1, "hidden", table["layer"] < table["layer"].max())
    with np.errstate(divide="ignore", invalid="ignore"):
        octaves = np.log2(
            np.maximum(table["onset_epoch"].to_numpy(dtype=float), 1.0)
            / table["transition_epoch"].to_numpy(dtype=float)
        )
    table["onset_octaves"] = np.where(
        table["compresses"].fillna(False).astype(bool), octaves, np.nan
    )
    if training is not None:
        table["train_error_at_transition"] = [
            _error_near(training, e) for e in table["transition_epoch"]
        ]
    order = [
        "layer",
        "hidden",
        "transition_epoch",
        "onset_epoch",
        "onset_octaves",
        "compression_bits",
        "compresses",
        "compression_fraction",
        "compression_fraction_log",
    ]
    return table[order + [c for c in table.columns if c not in order]]


def _error_near(training: pd.DataFrame, epoch: float) -> float:
    """Seed-mean training error at the logged epoch nearest ``epoch`` (log axis)."""
    if not np.isfinite(epoch):
        return float("nan")
    acc = training.groupby("epoch")["train_accuracy"].mean()
    logged = acc.index.to_numpy(dtype=float)
    k = int(np.argmin(np.abs(np.log2(1 + logged) - np.log2(1 + epoch))))
    return float(1.0 - acc.iloc[k])


def phases_replicates(
    information: pd.DataFrame,
    gradients: pd.DataFrame,
    *,
    estimator: str | None = None,
    min_bits: float = MIN_COMPRESSION_BITS,
    bins_per_octave: int = BINS_PER_OCTAVE,
    n_boot: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> pd.DataFrame:
    """:func:`phases_table`'s decisive columns on ``n_boot`` resamples of the seeds.

    The compression and the transitions of replicate b come from the same resample of
    the seeds (the two tables must hold the same seeds), so their ratio is paired.

    Returns
    -------
    DataFrame
        One row per (replicate, layer): ``replicate``, ``layer``, ``hidden``,
        ``onset_epoch``, ``compression_bits``, ``compresses``, ``compression_fraction``
        (epochs after the onset over all epochs; 0 without compression), and for the
        transition at SNR = 1 and at the band's ends (2 and 0.5)
        ``transition_epoch``, ``transition_early``, ``transition_late`` and the
        matching ``onset_octaves``, ``onset_octaves_early``, ``onset_octaves_late``
        (log2(onset / transition); NaN where the layer does not compress or never
        transitions).
    """
    rows, _ = select_estimator(information, estimator)
    comp = compression_replicates(rows, n_boot=n_boot, seed=seed)
    thresholds = {"transition_epoch": SNR_THRESHOLD, "transition_early": SNR_BAND[0],
                  "transition_late": SNR_BAND[1]}
    trans = transition_replicates(
        gradients, tuple(thresholds.values()), bins_per_octave=bins_per_octave,
        n_boot=n_boot, seed=seed,
    )
    wide = trans.pivot_table(
        index=["replicate", "layer"], columns="threshold", values="transition_epoch",
        dropna=False,
    )
    table = comp.merge(
        pd.DataFrame(
            {name: wide[t].to_numpy() for name, t in thresholds.items()}, index=wide.index
        ).reset_index(),
        on=["replicate", "layer"],
        how="left",
    )
    e0, e1 = float(rows["epoch"].min()), float(rows["epoch"].max())
    table["compresses"] = table["compression_bits"] >= min_bits
    table["compression_fraction"] = np.where(
        table["compresses"], (e1 - table["onset_epoch"]) / max(e1 - e0, 1.0), 0.0
    )
    onset = np.maximum(table["onset_epoch"].to_numpy(dtype=float), 1.0)
    for suffix, name in (("", "transition_epoch"), ("_early", "transition_early"),
                         ("_late", "transition_late")):
        with np.errstate(divide="ignore", invalid="ignore"):
            octaves = np.log2(onset / table[name].to_numpy(dtype=float))
        table[f"onset_octaves{suffix}"] = np.where(table["compresses"], octaves, np.nan)
    table.insert(2, "hidden", table["layer"] < table["layer"].max())
    return table
