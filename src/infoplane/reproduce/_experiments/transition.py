"""Claim 2 (Figure 4): compression starts at the drift-to-diffusion transition.

Runs: the main run only (shared with claim 1). Measures: its phases table (onsets and
transitions, with their seed resamples). Rule: :data:`RULE`. Section: Figure 4, the
training curves and the whole phases table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from infoplane.analysis import CLEAR_BAND_OCTAVES, SNR_BAND
from infoplane.reproduce import _figures
from infoplane.reproduce._context import Context, Measured
from infoplane.reproduce._report import Section
from infoplane.reproduce._runs import MAIN, RunSpec, main_spec
from infoplane.reproduce._scale import Scale
from infoplane.reproduce._tables import phases_display
from infoplane.reproduce._verdict import (
    UNCERTAINTY_RULE,
    Verdict,
    count_interval,
    fmt,
    fmt_epoch,
    with_interval,
)

KEY = "claim2"

ONSET_TOLERANCE_OCTAVES = 1.0
"""Compression starts "at" the transition when onset / transition lies within a factor
2**this (one octave: half to twice the transition epoch)."""

RULE = (
    "For each hidden layer that compresses, compare its compression onset (the epoch "
    "of its I(X;T) peak) with its drift-to-diffusion transition (where the smoothed, "
    "seed-averaged gradient SNR, mean norm / std norm, passes below 1; where it hovers "
    "around 1, the split of the curve into an SNR >= 1 part and an SNR < 1 part that "
    "puts the least |log SNR| on the wrong side). Only layers with a clear regime change "
    f"count: their SNR falls from above {SNR_BAND[0]:g} to below {SNR_BAND[1]:g} within "
    f"{CLEAR_BAND_OCTAVES:g} octaves of epochs (elsewhere the transition epoch is mostly "
    "the choice of threshold). The claim is supported when, for more than half of the "
    "compressing hidden layers with a clear transition, onset / transition lies within a "
    f"factor {2**ONSET_TOLERANCE_OCTAVES:g} (|log2(onset / transition)| <= "
    f"{ONSET_TOLERANCE_OCTAVES:g}). It is 'not decided' when most compressing layers have "
    f"no clear transition, or when the answer changes with the threshold ({SNR_BAND[0]:g} "
    f"or {SNR_BAND[1]:g} instead of 1). The training error at the transition is reported "
    "(the paper: compression starts once the training error is small)."
) + UNCERTAINTY_RULE


def runs(scale: Scale) -> list[RunSpec]:
    return [main_spec(scale)]


def _near(octaves: np.ndarray) -> np.ndarray:
    return np.abs(np.asarray(octaves, dtype=float)) <= ONSET_TOLERANCE_OCTAVES


def _epoch_range(epochs: pd.Series) -> str:
    low, high = fmt_epoch(epochs.min()), fmt_epoch(epochs.max())
    return low if low == high else f"{low}-{high}"


def claim2(phases: pd.DataFrame, replicates: pd.DataFrame | None = None) -> Verdict:
    """Claim 2 from the main run's phases table (and its seed resamples, if given)."""
    title = "Compression starts at the drift-to-diffusion transition"
    hidden = phases[phases["hidden"] & phases["compresses"].astype(bool)]
    n = len(hidden)
    trans = phases[phases["hidden"]]["transition_epoch"]
    if n == 0:
        return Verdict(
            title=title,
            key=KEY,
            supported=False,
            finding="No hidden layer compresses, so there is no compression onset "
            "to compare with the transition.",
            rule=RULE,
        )
    clear = (
        hidden["clear_transition"].astype(bool)
        if "clear_transition" in hidden
        else pd.Series(True, index=hidden.index)
    )
    counted = hidden[clear]
    k = int(_near(counted["onset_octaves"]).sum())
    m = len(counted)
    pairs = ", ".join(
        f"L{int(r.layer)}: onset {fmt_epoch(r.onset_epoch)} vs transition "
        f"{fmt_epoch(r.transition_epoch)}"
        + (
            f" (SNR {SNR_BAND[0]:g}..{SNR_BAND[1]:g}: {fmt_epoch(r.transition_early)}-"
            f"{fmt_epoch(r.transition_late)}{'' if c else ', no clear regime change'})"
            if "transition_early" in hidden
            else ""
        )
        for r, c in zip(hidden.itertuples(), clear, strict=True)
    )
    finding = (
        f"{m} of {n} compressing hidden layers show a clear regime change; compression "
        f"starts within a factor {2**ONSET_TOLERANCE_OCTAVES:g} of the transition for "
        f"{k} of them ({pairs}); the hidden layers' transitions are at epochs "
        f"{_epoch_range(trans)}"
    )
    if "train_error_at_transition" in phases:
        err = phases[phases["hidden"]]["train_error_at_transition"]
        finding += f", at a training error of {fmt(100 * err.median(), 0)}% (median)"
    undecided = m <= n / 2 and m < n
    supported: bool | None = k > m / 2 if m else False
    if undecided:
        finding += "; most compressing layers have no clear transition"
    if m and "transition_early" in counted:
        band = [
            int(_near(np.log2(np.maximum(counted["onset_epoch"], 1.0) / counted[c])).sum())
            for c in ("transition_early", "transition_late")
        ]
        if any((b > m / 2) != supported for b in band):
            undecided = True
            finding += (
                f"; at SNR {SNR_BAND[0]:g} / {SNR_BAND[1]:g} instead of 1 the count is "
                f"{band[0]} / {band[1]} of {m}: the answer depends on the threshold"
            )
    if replicates is not None and m and not undecided:
        boot = replicates[replicates["layer"].isin(counted["layer"])]
        passes = boot["compresses"].astype(bool) & _near(boot["onset_octaves"])
        interval = count_interval(boot, passes)
        supported, undecided, span = with_interval(bool(supported), interval, m / 2)
        finding += f"; count{span}"
    return Verdict(KEY, title, None if undecided else supported, f"{finding}.", RULE, undecided)


def measure(ctx: Context) -> Measured:
    phases, replicates = ctx.phases()
    return Measured(claim2(phases, replicates), data={"phases": phases})


def section(ctx: Context, measured: Measured) -> Section:
    main = ctx.run(MAIN)
    seeds = ctx.spec(MAIN).config.seeds
    pct = f"{round(100 * ctx.spec(MAIN).config.train_fraction)}% training set"
    fig4 = _figures.snr(
        main.gradients,
        f"gradient mean (solid) and std (dashed), {pct}, mean of {seeds} seeds",
        ctx.figures / "fig4_snr.png",
    )
    training = _figures.training(main.training, ctx.figures / "fig4_training.png")
    return Section(
        KEY,
        "Claim 2: compression starts at the drift-to-diffusion transition",
        measured.verdict,
        "Per layer, the norm of the mean gradient over an epoch's minibatches and the "
        "norm of their standard deviation, both divided by the weight norm, averaged "
        "over seeds and over log-spaced epoch bins (4 a doubling). The transition "
        "(dotted lines) is where the mean passes below the std (see the rule); its "
        "sensitivity is the range of epochs where the SNR crosses 2 and 0.5 instead "
        "of 1, and a layer whose SNR takes more than 3 octaves of epochs to fall "
        "through that band has no clear regime change. Intervals are 95% bootstrap "
        "intervals over seeds; the IQR is over each seed's own transition.",
        [
            (
                fig4,
                "Figure 4: gradient mean (solid) and standard deviation (dashed) "
                "per layer, transitions dotted",
            ),
            (training, "Loss and accuracy of the main run (mean and std of seeds)"),
        ],
        [
            (
                "Transition and compression onset side by side (phases.parquet)",
                phases_display(measured.data["phases"]),
            )
        ],
    )
