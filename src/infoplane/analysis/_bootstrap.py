"""Uncertainty over seeds: the bootstrap that resamples whole seeds (networks).

Every quantity of the analyses that is computed from seed-averaged curves (the
compression of a layer, its onset, the drift-to-diffusion transition, a training time)
gets a 95% interval by recomputing it on resamples of the seeds, drawn with
replacement. The draws come from ``numpy.random.default_rng(seed)``, never from the
global generator, and depend only on the number of seeds, so two analyses of the same
run with the same ``seed`` use the same resamples: their replicates pair up (the
compression onset and the transition of replicate b come from the same networks).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

BOOTSTRAP_RESAMPLES = 1000
"""Resamples of the seeds for every interval."""

CONFIDENCE = 0.95
"""The level of every interval: the 2.5% and 97.5% percentiles of the resamples."""

BOOTSTRAP_SEED = 0
"""Default seed of the resampling generator."""


def seed_resamples(
    n_seeds: int, *, n_boot: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED
) -> np.ndarray:
    """Indices of ``n_boot`` resamples of ``n_seeds`` seeds, with replacement.

    Returns an int array (n_boot, n_seeds); row b picks the seeds of replicate b (by
    position in the sorted seed list). Reproducible: a function of the arguments only.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, n_seeds]))
    return rng.integers(0, n_seeds, size=(n_boot, n_seeds))


def percentile_interval(
    samples: np.ndarray, *, level: float = CONFIDENCE
) -> tuple[float, float]:
    """The (low, high) percentile interval of ``samples`` at ``level``.

    NaN values count as +inf ("not reached"); the percentiles are taken with the
    "lower" and "higher" methods, so inf never enters arithmetic. (NaN, NaN) for no
    samples.

    >>> percentile_interval(np.arange(1, 101), level=0.9)
    (5.0, 96.0)
    """
    values = np.asarray(samples, dtype=float).ravel()
    if values.size == 0:
        return float("nan"), float("nan")
    values = np.where(np.isnan(values), np.inf, values)
    tail = (1.0 - level) / 2.0
    low = float(np.quantile(values, tail, method="lower"))
    high = float(np.quantile(values, 1.0 - tail, method="higher"))
    return low, high


def decide(low: float, high: float, threshold: float, *, strict: bool = True) -> bool | None:
    """A rule "statistic > threshold" (``strict``) or ">= threshold" on an interval.

    True when the whole interval [low, high] satisfies the rule, False when none of it
    does, None ("not decided") when it straddles the threshold.

    >>> decide(3.0, 4.0, 2.5), decide(0.0, 2.0, 2.5), decide(2.0, 3.0, 2.5)
    (True, False, None)
    """
    if strict:
        if low > threshold:
            return True
        if high <= threshold:
            return False
    else:
        if low >= threshold:
            return True
        if high < threshold:
            return False
    return None


def seed_matrix(
    table: pd.DataFrame, value: str, *, index: str = "seed", columns: str = "epoch"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``value`` as a (seeds, epochs) matrix: (seeds sorted, epochs sorted, matrix).

    Missing cells are NaN (averages over seeds then skip them).
    """
    wide = table.pivot_table(index=index, columns=columns, values=value, aggfunc="mean")
    wide = wide.sort_index().sort_index(axis=1)
    return wide.index.to_numpy(), wide.columns.to_numpy(), wide.to_numpy(dtype=float)


def resampled_means(matrix: np.ndarray, resamples: np.ndarray) -> np.ndarray:
    """Seed means of ``matrix`` (seeds, epochs) for each resample: (n_boot, epochs).

    NaN cells are skipped; a column that is NaN for every picked seed stays NaN.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # mean of an all-NaN column
        return np.nanmean(matrix[resamples], axis=1)
