"""Rough costs of runs and of their tasks, in seconds of one core.

They order the tasks on Dask (the longest chain first), decide how finely the slow
estimators and the seeds of a big run are split, and weigh progress bars; nothing
depends on them being exact (the tables are the same whatever they say).
"""

from __future__ import annotations

from collections.abc import Sequence

from infoplane.config import RunConfig

# Calibrated on the full-scale reproduce of 2026-11-29 (2-core AVX2 host, idle, in one
# process on both cores, so one core's seconds are about twice the wall time): the 85%
# run trained 50 seeds x 10000 epochs in ~92 s, the ib run spent ~55 s on the bound's
# 75300 points, the critique's 2100 kde + noisy points took 258 s together.
SECONDS_PER_SEED_EPOCH = 3.7e-4
"""Rough training cost of one network for one epoch of the preset (85% of 4096 samples,
one core); it scales with the training fraction."""

PRESET_TRAIN_FRACTION = 0.85

SECONDS_PER_POINT = {"binning": 2.5e-4, "adaptive": 5e-3, "kde": 0.08, "noisy": 0.17, "knn": 2.8}
"""Rough cost of one information point (a seed, layer and logged epoch) at 4096 inputs,
one core, averaged over the preset's layers."""

SECONDS_PER_IB_POINT = 1.5e-3
"""Rough cost of the IB bound's files per (seed, layer, logged epoch) of an ``ib`` run."""

SECONDS_PER_RUN = 5.0
"""Fixed cost of a run (set-up, writing), plus as much again when it draws figures."""


def layers(config: RunConfig) -> int:
    """Measured layers of a run: its hidden layers and the output."""
    return len(config.widths) + 1


def logged_epochs(config: RunConfig) -> int:
    from infoplane.nets.schedule import log_spaced_epochs

    return len(log_spaced_epochs(config.epochs, config.log_epochs))


def point_seconds(config: RunConfig, estimator: str) -> float:
    """One information point of ``estimator`` in ``config`` (noisy scales with its draws)."""
    cost = SECONDS_PER_POINT.get(estimator, 0.5)
    if estimator == "noisy" and "noisy" in config.estimator_options:
        cost *= config.estimator_options["noisy"].get("n_samples", 4 * 4096) / (4 * 4096)
    return cost


def estimate_seconds(
    config: RunConfig, estimator: str, epochs: int, seeds: int | None = None
) -> float:
    """``estimator`` at ``epochs`` logged epochs of ``seeds`` seeds (default: all)."""
    seeds = config.seeds if seeds is None else seeds
    return seeds * layers(config) * epochs * point_seconds(config, estimator)


def training_seconds(
    config: RunConfig, *, seeds: int | None = None, deferred: Sequence[str] = ()
) -> float:
    """Training ``seeds`` seeds (default: all) with the estimators not ``deferred`` (and
    the IB bound), plus the fixed cost of a run; no figures."""
    seeds = config.seeds if seeds is None else seeds
    logged = logged_epochs(config)
    share = config.train_fraction / PRESET_TRAIN_FRACTION
    seconds = seeds * config.epochs * SECONDS_PER_SEED_EPOCH * share * layers(config) / 6
    for name in config.estimators:
        if name not in deferred:
            seconds += estimate_seconds(config, name, logged, seeds)
    if config.ib:
        seconds += seeds * layers(config) * logged * SECONDS_PER_IB_POINT
    return seconds + SECONDS_PER_RUN


def run_seconds(config: RunConfig, *, plots: bool, seeds: int | None = None) -> float:
    """A whole run (or ``seeds`` of its seeds) made in one task, figures included."""
    return training_seconds(config, seeds=seeds) + (SECONDS_PER_RUN if plots else 0.0)
