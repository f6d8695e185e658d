"""Analyses of a run's tables: the phases of SGD and of the information plane.

Pure functions of the run's DataFrames (``information``, ``gradients``, ``training``);
information in bits, epochs as in the tables. They measure the paper's claims
(Shwartz-Ziv & Tishby 2017): the drift-to-diffusion transition of the gradients
(:func:`drift_diffusion_transition`), the compression onset and amount
(:func:`compression`), the share of epochs spent compressing
(:func:`phase_fractions`), both side by side (:func:`phases_table`) and the training
time of networks of several depths (:func:`epochs_to_fit`,
:func:`compression_durations`); each with a 95% interval from resampling the seeds
(:func:`seed_resamples`, :func:`compression_replicates`,
:func:`transition_replicates`, :func:`phases_replicates`).
"""

from infoplane.analysis._bootstrap import (
    BOOTSTRAP_RESAMPLES,
    CONFIDENCE,
    decide,
    percentile_interval,
    seed_resamples,
)
from infoplane.analysis._compression import (
    MIN_COMPRESSION_BITS,
    compression,
    compression_replicates,
    seed_mean_ixt,
    select_estimator,
)
from infoplane.analysis._depth import (
    COMPRESSION_DONE,
    FIT_FRACTION,
    compression_duration_replicates,
    compression_durations,
    epochs_to_fit,
    error_epoch,
    input_label_information,
)
from infoplane.analysis._fractions import phase_fractions
from infoplane.analysis._phases import phases_replicates, phases_table
from infoplane.analysis._smoothing import BINS_PER_OCTAVE, log_epoch_bins, smooth_log_epochs
from infoplane.analysis._stats import spread
from infoplane.analysis._transition import (
    CLEAR_BAND_OCTAVES,
    SNR_BAND,
    SNR_THRESHOLD,
    crossing_epoch,
    drift_diffusion_transition,
    snr_curves,
    transition_replicates,
)

__all__ = [
    "BINS_PER_OCTAVE",
    "BOOTSTRAP_RESAMPLES",
    "CLEAR_BAND_OCTAVES",
    "CONFIDENCE",
    "SNR_BAND",
    "COMPRESSION_DONE",
    "FIT_FRACTION",
    "MIN_COMPRESSION_BITS",
    "SNR_THRESHOLD",
    "compression",
    "compression_duration_replicates",
    "compression_durations",
    "compression_replicates",
    "crossing_epoch",
    "decide",
    "drift_diffusion_transition",
    "epochs_to_fit",
    "error_epoch",
    "input_label_information",
    "log_epoch_bins",
    "percentile_interval",
    "phase_fractions",
    "phases_replicates",
    "phases_table",
    "seed_mean_ixt",
    "seed_resamples",
    "select_estimator",
    "smooth_log_epochs",
    "snr_curves",
    "spread",
    "transition_replicates",
]
