"""The drift-to-diffusion transition of SGD, from the gradient statistics.

Shwartz-Ziv & Tishby (2017, Section 3.3 and Figure 4) describe two phases of SGD: a
*drift* phase, where the norm of the mean gradient over an epoch's minibatches is
much larger than the norm of their standard deviation (high signal-to-noise ratio),
and a *diffusion* phase, where the fluctuations dominate (SNR below 1).
"""

from __future__ import annotations

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
from infoplane.analysis._smoothing import BINS_PER_OCTAVE, smooth_log_epochs
from infoplane.analysis._stats import spread

SNR_THRESHOLD = 1.0
"""The transition is where the smoothed gradient SNR (mean norm / std norm) crosses this."""

SNR_BAND = (2.0, 0.5)
"""The band of thresholds over which the transition's sensitivity is measured: the
crossing of SNR = 2 (the early end) and of SNR = 0.5 (the late end)."""

CLEAR_BAND_OCTAVES = 3.0
"""A layer shows a *clear* regime change when its seed-averaged SNR falls from above 2 to
below 0.5 within this many octaves of epochs (a factor 8): a drop, not a slow decay (an
SNR falling as epoch**-a crosses the band in 2 / a octaves: a > 2/3 is clear)."""


def snr_curves(
    gradients: pd.DataFrame, *, per_seed: bool = False, bins_per_octave: int = BINS_PER_OCTAVE
) -> pd.DataFrame:
    """Smoothed gradient mean and std norms per layer, each divided by the weight norm.

    Parameters
    ----------
    gradients : DataFrame
        The run's ``gradients`` table (seed, epoch, layer, grad_mean_norm,
        grad_std_norm, weight_norm, ...), one row per seed, epoch and layer.
    per_seed : bool, default False
        False: average over seeds first (the paper's Figure 4), one curve per layer.
        True: one curve per (seed, layer).
    bins_per_octave : int, default 4
        Resolution of the log-epoch smoothing (:func:`smooth_log_epochs`).

    Returns
    -------
    DataFrame
        Columns ``[seed,] layer, epoch, mean, std, snr``: ``mean`` and ``std`` are the
        normalised norms averaged over the seeds (if not ``per_seed``) and over each
        log-epoch bin, ``snr = mean / std`` (dimensionless); ``epoch`` is the bin's
        geometric-mean epoch (float).
    """
    weight = gradients["weight_norm"].to_numpy(dtype=float)
    df = pd.DataFrame(
        {
            "seed": gradients["seed"].to_numpy(),
            "layer": gradients["layer"].to_numpy(),
            "epoch": gradients["epoch"].to_numpy(),
            "mean": gradients["grad_mean_norm"].to_numpy(dtype=float) / weight,
            "std": gradients["grad_std_norm"].to_numpy(dtype=float) / weight,
        }
    )
    by = ["seed", "layer"] if per_seed else ["layer"]
    if not per_seed:
        df = df.groupby(["layer", "epoch"], as_index=False)[["mean", "std"]].mean()
    out = smooth_log_epochs(df, ["mean", "std"], by=by, bins_per_octave=bins_per_octave)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["snr"] = out["mean"] / out["std"]
    return out


def crossing_epoch(
    epochs: np.ndarray, snr: np.ndarray, *, threshold: float = SNR_THRESHOLD
) -> float:
    """The epoch where ``snr`` passes from above ``threshold`` to below it; NaN if never.

    The curve is split into an early part (drift, SNR >= threshold) and a late part
    (diffusion, SNR < threshold) where the split puts the least weight on the wrong
    side: each point below the threshold before the split, or at or above it after,
    costs its distance |log(snr / threshold)| (among equally good splits, the latest
    wins). The epoch is interpolated linearly in (log epoch, log snr) between the two
    points around the split where they straddle the threshold, else it is their
    geometric mean. A split before the first point gives the first epoch (diffusion
    from the start); a split after the last gives NaN (still drifting). A curve that
    crosses the threshold once gives that crossing; unlike "the last time it falls
    below", a small late excursion above the threshold, or an early dip below it,
    does not move the transition, while a curve hovering around the threshold
    before falling for good is split where it falls clearly.

    >>> float(round(crossing_epoch(np.array([100, 200, 400, 800]),
    ...                            np.array([4.0, 2.0, 0.5, 0.25])), 6))
    282.842712
    """
    epochs = np.asarray(epochs, dtype=float)
    snr = np.asarray(snr, dtype=float)
    ok = np.isfinite(snr) & (snr > 0)
    epochs, snr = epochs[ok], snr[ok]
    if epochs.size == 0:
        return float("nan")
    above = snr >= threshold
    weight = np.abs(np.log(snr / threshold))
    # cost[k]: weight of the points below before index k and of those above from k on
    below_before = np.r_[0.0, np.cumsum(np.where(above, 0.0, weight))]
    above_after = np.r_[np.cumsum(np.where(above, weight, 0.0)[::-1])[::-1], 0.0]
    cost = below_before + above_after
    k = int(np.flatnonzero(cost <= cost.min() * (1 + 1e-12))[-1])
    if k == 0:
        return float(epochs[0])
    if k == epochs.size:
        return float("nan")
    e0, e1 = epochs[k - 1], epochs[k]
    s0, s1 = np.log(snr[k - 1]), np.log(snr[k])
    log_t = np.log(threshold)
    if e0 <= 0:  # no log at the initialisation: interpolate linearly
        return (
            float(e0 + 0.5 * (e1 - e0))
            if not s0 >= log_t > s1
            else float(e0 + (s0 - log_t) / (s0 - s1) * (e1 - e0))
        )
    if s0 >= log_t > s1:
        t = (s0 - log_t) / (s0 - s1)
        return float(np.exp(np.log(e0) + t * (np.log(e1) - np.log(e0))))
    return float(np.sqrt(e0 * e1))


def drift_diffusion_transition(
    gradients: pd.DataFrame,
    *,
    bins_per_octave: int = BINS_PER_OCTAVE,
    threshold: float = SNR_THRESHOLD,
    band: tuple[float, float] = SNR_BAND,
    clear_octaves: float = CLEAR_BAND_OCTAVES,
    n_boot: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> pd.DataFrame:
    """Per layer, the epoch where SGD passes from drift to diffusion, with its spread.

    Parameters
    ----------
    gradients : DataFrame
        The run's ``gradients`` table.
    bins_per_octave : int, default 4
        Resolution of the log-epoch smoothing of the curves.
    threshold : float, default 1.0
        The SNR (gradient mean norm / std norm) that separates the phases.
    band : (float, float), default (2.0, 0.5)
        The thresholds of the early and late ends of the sensitivity band.
    clear_octaves : float, default 3.0
        The widest band, in octaves of epochs, of a clear regime change.
    n_boot : int, default 1000
        Resamples of the seeds for the 95% interval (0: none, NaN).
    seed : int, default 0
        Seed of the resampling (:func:`~infoplane.analysis.seed_resamples`).

    Returns
    -------
    DataFrame
        One row per layer: ``layer``; ``transition_epoch``, the
        :func:`crossing_epoch` of the seed-averaged smoothed curve (the curve of the
        paper's Figure 4); ``transition_median``, ``transition_q25``,
        ``transition_q75`` and ``transition_std``, the median, quartiles and standard
        deviation of the per-seed transitions (each seed's own smoothed curve);
        ``n_seeds`` and ``n_transitioned``, how many seeds there are and how many of
        them reached diffusion; the sensitivity to the threshold: ``transition_early``
        and ``transition_late``, the crossings of the band's thresholds (SNR = 2 and
        0.5) by the seed-averaged curve, ``band_octaves`` = log2(late / early) and
        ``clear_transition``, whether both exist and lie within ``clear_octaves``
        octaves (False: the SNR decays slowly, or never leaves one regime, and the
        transition epoch is mostly the choice of threshold); ``transition_ci_low`` and
        ``transition_ci_high``, the 95% bootstrap interval over seeds of
        ``transition_epoch`` (inf: a resample never reaches diffusion). Epochs are
        floats; NaN where no transition was found.

    Notes
    -----
    The weight-norm normalisation of the paper cancels in the ratio; it matters only
    for the seed average, which (as in the figure) averages the normalised norms.
    Seeds that never reach diffusion are left out of the spread statistics.
    """
    seed_mean = snr_curves(gradients, bins_per_octave=bins_per_octave)
    per_seed = snr_curves(gradients, per_seed=True, bins_per_octave=bins_per_octave)
    boot = (
        transition_replicates(
            gradients, (threshold,), bins_per_octave=bins_per_octave, n_boot=n_boot, seed=seed
        ).groupby("layer")
        if n_boot > 0
        else None
    )
    rows = []
    for layer, curve in seed_mean.groupby("layer", sort=True):
        seeds = per_seed[per_seed["layer"] == layer]
        each = np.array(
            [
                crossing_epoch(s["epoch"].to_numpy(), s["snr"].to_numpy(), threshold=threshold)
                for _, s in seeds.groupby("seed", sort=True)
            ]
        )
        done = each[np.isfinite(each)]
        e, snr = curve["epoch"].to_numpy(), curve["snr"].to_numpy()
        early, late = (crossing_epoch(e, snr, threshold=t) for t in band)
        octaves = _band_octaves(e, snr, band, early, late)
        samples = boot.get_group(layer)["transition_epoch"].to_numpy() if boot is not None else []
        low, high = percentile_interval(samples)
        rows.append(
            {
                "layer": int(layer),
                "transition_epoch": crossing_epoch(e, snr, threshold=threshold),
                **spread(done, "transition"),
                "n_seeds": int(each.size),
                "n_transitioned": int(done.size),
                "transition_early": early,
                "transition_late": late,
                "band_octaves": octaves,
                "clear_transition": bool(np.isfinite(octaves) and octaves <= clear_octaves),
                "transition_ci_low": low,
                "transition_ci_high": high,
            }
        )
    return pd.DataFrame(rows)


def _band_octaves(
    epochs: np.ndarray, snr: np.ndarray, band: tuple[float, float], early: float, late: float
) -> float:
    """log2(late / early); NaN unless the curve starts above the band and ends below it."""
    ok = np.isfinite(snr) & (snr > 0)
    snr = snr[ok]
    if snr.size == 0 or not (snr.max() >= band[0] and snr.min() < band[1]):
        return float("nan")
    if not (np.isfinite(early) and np.isfinite(late)) or early <= 0:
        return float("nan")
    return float(np.log2(max(late, early) / early))


def transition_replicates(
    gradients: pd.DataFrame,
    thresholds: tuple[float, ...] = (SNR_THRESHOLD, *SNR_BAND),
    *,
    bins_per_octave: int = BINS_PER_OCTAVE,
    n_boot: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> pd.DataFrame:
    """The transition of each layer on ``n_boot`` resamples of the seeds.

    Replicate b averages the smoothed, weight-normalised gradient mean and std norms
    of the seeds drawn by row b of :func:`~infoplane.analysis.seed_resamples` (the
    same rows as :func:`~infoplane.analysis.compression_replicates` with the same
    ``seed``), and takes the :func:`crossing_epoch` of their ratio at each threshold.

    Returns
    -------
    DataFrame
        One row per (replicate, layer, threshold): ``replicate``, ``layer``,
        ``threshold``, ``transition_epoch`` (NaN: still drifting at the end).
    """
    per_seed = snr_curves(gradients, per_seed=True, bins_per_octave=bins_per_octave)
    parts = []
    for layer, part in per_seed.groupby("layer", sort=True):
        _, epochs, mean = seed_matrix(part, "mean")
        _, _, std = seed_matrix(part, "std")
        picks = seed_resamples(mean.shape[0], n_boot=n_boot, seed=seed)
        with np.errstate(divide="ignore", invalid="ignore"):
            snr = resampled_means(mean, picks) / resampled_means(std, picks)
        for t in thresholds:
            parts.append(
                pd.DataFrame(
                    {
                        "replicate": np.arange(n_boot),
                        "layer": int(layer),
                        "threshold": float(t),
                        "transition_epoch": [
                            crossing_epoch(epochs, row, threshold=t) for row in snr
                        ],
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)
