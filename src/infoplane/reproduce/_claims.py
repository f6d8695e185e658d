"""Each claim's decision: an explicit rule applied to the measured numbers.

Every function here is pure: tables in, a :class:`Verdict` out. The rules are
stated in the ``rule`` of each verdict, which the report prints beside the finding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from infoplane.analysis import FIT_FRACTION, MIN_COMPRESSION_BITS

ONSET_TOLERANCE_OCTAVES = 1.0
"""Claim 2: compression starts "at" the transition when onset / transition lies within
a factor 2**this (one octave: half to twice the transition epoch)."""

GAP_TOLERANCE = 0.1
"""Claim 3: a layer lies "close" to the IB bound when its distance to the bound (the
``gap`` of ``ib_layers.parquet``) is at most this fraction of I(X;Y)."""

DEPTH_RANK_CORRELATION = -0.5
"""Claim 4: the Spearman correlation between depth and epochs to fit must be at most this."""


@dataclass(frozen=True)
class Verdict:
    """Whether this reproduction supports a claim, and why.

    ``supported`` is True or False, or None where the claim could not be tested.
    """

    key: str
    title: str
    supported: bool | None
    finding: str
    rule: str

    @property
    def label(self) -> str:
        return {True: "supported", False: "not supported", None: "not tested"}[self.supported]

    def as_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "title": self.title,
            "supported": self.supported,
            "verdict": self.label,
            "finding": self.finding,
            "rule": self.rule,
        }


def fmt(value: float, digits: int = 2) -> str:
    """A number for a sentence or a table: "n/a" for NaN, "not reached" for inf."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    if np.isinf(value):
        return "not reached"
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.{digits}f}"


def fmt_epoch(value: float) -> str:
    """An epoch (or a number of epochs) for a sentence or a table, rounded to an integer."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    if np.isinf(value):
        return "not reached"
    return f"{value:.0f}"


def mostly_compressing(table: pd.DataFrame) -> pd.Series:
    """Claim 1's test of a layer: it compresses and compresses for most of the epochs."""
    return table["compresses"].astype(bool) & (table["compression_fraction"] > 0.5)


CLAIM1_RULE = (
    "A hidden layer is 'mostly compressing' when its seed-averaged I(X;T) falls by at "
    f"least {MIN_COMPRESSION_BITS:g} bits from its peak to the end of training and the "
    "epochs after the peak (the compression phase) are more than half of all epochs "
    "(compression_fraction > 0.5). The claim is supported when more than half of the "
    "hidden layers are mostly compressing."
)


def claim1(phases: pd.DataFrame) -> Verdict:
    """Claim 1 from the main run's phases table (hidden layers only)."""
    hidden = phases[phases["hidden"]]
    mostly = mostly_compressing(hidden)
    k, n = int(mostly.sum()), len(hidden)
    comp = hidden[hidden["compresses"].astype(bool)]
    detail = f"{k} of {n} hidden layers are mostly compressing; {len(comp)} compress at all"
    if len(comp):
        detail += (
            f", spending a median {fmt(100 * comp['compression_fraction'].median(), 0)}% of "
            f"the epochs ({fmt(100 * comp['compression_fraction_log'].median(), 0)}% of the "
            f"log-epoch axis) compressing, by a median "
            f"{fmt(comp['compression_bits'].median())} bits"
        )
    supported = k > n / 2
    return Verdict(
        "claim1",
        "Most epochs are spent compressing",
        supported,
        f"{detail}.",
        CLAIM1_RULE,
    )


CLAIM2_RULE = (
    "For each hidden layer that compresses, compare its compression onset (the epoch "
    "of its I(X;T) peak) with its drift-to-diffusion transition (where the smoothed, "
    "seed-averaged gradient SNR, mean norm / std norm, passes below 1; where it hovers "
    "around 1, the split of the curve into an SNR >= 1 part and an SNR < 1 part that "
    "puts the least |log SNR| on the wrong side). The claim is supported when, "
    f"for more than half of those layers, onset / transition lies within a factor "
    f"{2**ONSET_TOLERANCE_OCTAVES:g} (|log2(onset / transition)| <= "
    f"{ONSET_TOLERANCE_OCTAVES:g}). The training error at the transition is reported "
    "(the paper: compression starts once the training error is small)."
)


def claim2(phases: pd.DataFrame) -> Verdict:
    """Claim 2 from the main run's phases table."""
    hidden = phases[phases["hidden"] & phases["compresses"].astype(bool)]
    octaves = hidden["onset_octaves"].to_numpy(dtype=float)
    near = np.abs(octaves) <= ONSET_TOLERANCE_OCTAVES
    k, n = int(near.sum()), len(hidden)
    trans = phases[phases["hidden"]]["transition_epoch"]
    if n == 0:
        return Verdict(
            "claim2",
            "Compression starts at the drift-to-diffusion transition",
            False,
            "No hidden layer compresses, so there is no compression onset "
            "to compare with the transition.",
            CLAIM2_RULE,
        )
    pairs = ", ".join(
        f"L{int(r.layer)}: onset {fmt_epoch(r.onset_epoch)} vs transition "
        f"{fmt_epoch(r.transition_epoch)}"
        for r in hidden.itertuples()
    )
    finding = (
        f"Compression starts within a factor {2**ONSET_TOLERANCE_OCTAVES:g} of the "
        f"transition for {k} of {n} compressing hidden layers ({pairs}); the hidden "
        f"layers' transitions are at epochs {_epoch_range(trans)}"
    )
    if "train_error_at_transition" in phases:
        err = phases[phases["hidden"]]["train_error_at_transition"]
        finding += f", at a training error of {fmt(100 * err.median(), 0)}% (median)"
    supported = k > n / 2
    return Verdict(
        "claim2",
        "Compression starts at the drift-to-diffusion transition",
        supported,
        f"{finding}.",
        CLAIM2_RULE,
    )


def _epoch_range(epochs: pd.Series) -> str:
    low, high = fmt_epoch(epochs.min()), fmt_epoch(epochs.max())
    return low if low == high else f"{low}-{high}"


CLAIM3_RULE = (
    "With soft labels (deterministic labels make the IB curve trivial: Kolchinsky et "
    "al. 2019), each layer's distance to the IB bound at the last epoch (gap, bits, "
    "median over seeds) is compared with I(X;Y). The claim is supported when more than "
    f"half of the hidden layers lie within {100 * GAP_TOLERANCE:g}% of I(X;Y) of the "
    "bound; the per-layer beta (the IB solution nearest each layer) is reported."
)


def claim3(ib_final: pd.DataFrame | None, i_xy: float, *, note: str = "") -> Verdict:
    """Claim 3 from the IB run's last-epoch table (layer, hidden, gap, beta), if any."""
    title = "Layers lie close to the IB bound, each at its own beta"
    if ib_final is None or ib_final.empty:
        return Verdict(
            "claim3",
            title,
            None,
            note or "The IB run wrote no ib_layers.parquet: not tested.",
            CLAIM3_RULE,
        )
    layers = ib_final[ib_final["hidden"]] if ib_final["hidden"].any() else ib_final
    close = layers["gap"] <= GAP_TOLERANCE * i_xy
    k, n = int(close.sum()), len(layers)
    gaps = ", ".join(f"L{int(r.layer)} {fmt(r.gap, 3)}" for r in layers.itertuples())
    betas = ", ".join(f"L{int(r.layer)} {fmt(r.beta)}" for r in layers.itertuples())
    supported = k > n / 2
    finding = (
        f"{k} of {n} hidden layers lie within {100 * GAP_TOLERANCE:g}% of I(X;Y) = "
        f"{fmt(i_xy, 3)} bits of the bound (gaps in bits: {gaps}); fitted beta: {betas}."
    )
    return Verdict("claim3", title, supported, finding, CLAIM3_RULE)


CLAIM4_RULE = (
    "Training time is the number of epochs until the training error falls below 10% "
    "(seed mean), for networks of 1 to 6 hidden layers. The claim is supported when it "
    f"falls with depth: Spearman rank correlation <= {DEPTH_RANK_CORRELATION:g} and the "
    "deepest network needs fewer epochs than the shallowest. Reported beside it: the "
    f"epochs until the last hidden layer's I(T;Y) reaches {100 * FIT_FRACTION:g}% of "
    "I(X;Y), the measure named in the issue, which is not used for the verdict because "
    "under binning a wide last layer (the 10- and 7-unit layers of the shallow networks) "
    "holds it at initialisation and a 3-unit one may never reach it: it measures the "
    "last layer's width as much as the network's depth."
)


def claim4(depth: pd.DataFrame) -> Verdict:
    """Claim 4 from the depth table (depth, fit_median, fit_at_init, ...)."""
    depth = depth.sort_values("depth")
    fits = depth["fit_median"].to_numpy(dtype=float)
    if "error_epoch" in depth:
        fits_for_verdict = depth["error_epoch"].to_numpy(dtype=float)
    else:
        fits_for_verdict = fits
    finite = fits_for_verdict[np.isfinite(fits_for_verdict)]
    ranked = np.where(np.isfinite(fits_for_verdict), fits_for_verdict,
                      np.nanmax(np.r_[finite, 0]) + 1)
    if np.ptp(ranked) == 0:
        rho = float("nan")
    else:
        rho = float(spearmanr(depth["depth"], ranked).statistic)
    falls = bool(np.isfinite(rho) and rho <= DEPTH_RANK_CORRELATION and ranked[-1] < ranked[0])
    listing = ", ".join(
        f"{int(d)}: {fmt_epoch(f)}" for d, f in zip(depth["depth"], fits, strict=True)
    )
    finding = (
        f"Median epochs until the last hidden layer holds {100 * FIT_FRACTION:g}% of I(X;Y), "
        f"by number of hidden layers: {listing}"
    )
    trivial = depth[depth["fit_at_init"]]["depth"].tolist()
    if trivial:
        finding += (
            f"; the last hidden layer of the network(s) with {', '.join(map(str, trivial))} "
            "hidden layer(s) already holds that much at initialisation (a wide layer "
            "keeps every input distinct under binning), so their 'fit' is trivial"
        )
    if "error_epoch" in depth:
        err = ", ".join(
            f"{int(d)}: {fmt_epoch(e)}"
            for d, e in zip(depth["depth"], depth["error_epoch"], strict=True)
        )
        finding += (f". Epochs until the training error falls below 10% (seed mean), the "
                    f"verdict's measure: {err} (Spearman rho {fmt(rho)})")
    return Verdict(
        "claim4",
        "Training time drops as hidden layers are added",
        falls,
        f"{finding}.",
        CLAIM4_RULE,
    )


RELU_RULE = (
    "Saxe et al. (2018): ReLU networks do not compress under binning (100 bins between "
    "each layer's extreme values over training). The critique is supported when fewer "
    f"than half of the ReLU network's hidden layers compress (I(X;T) falls by >= "
    f"{MIN_COMPRESSION_BITS:g} bits from its peak to the end), to compare with the tanh "
    "network's count."
)


def critique_relu(relu: pd.DataFrame, tanh: pd.DataFrame) -> Verdict:
    """The ReLU critique from each network's per-layer compression (with ``hidden``)."""
    r, t = relu[relu["hidden"]], tanh[tanh["hidden"]]
    k, n = int(r["compresses"].sum()), len(r)
    supported = k < n / 2
    amounts = ", ".join(f"L{int(x.layer)} {fmt(x.compression_bits)}" for x in r.itertuples())
    finding = (
        f"{k} of {n} ReLU hidden layers compress (falls in bits: {amounts}), against "
        f"{int(t['compresses'].sum())} of {len(t)} for tanh."
    )
    return Verdict(
        "relu",
        "Critique: ReLU networks do not compress (Saxe et al. 2018)",
        supported,
        finding,
        RELU_RULE,
    )


ESTIMATOR_RULE = (
    "Saxe et al. (2018) and Chelombiev et al. (2019): whether layers compress depends on "
    "the estimator. The same tanh networks are measured with binning and with the kde "
    "(Kolchinsky-Tracey upper bound on the noisy network) and noisy (Goldfeld et al. "
    "2019: I(X;T+Z) of the noisy network, the principled quantity) estimators. The "
    "critique is supported when claim 1's rule (more than half of the hidden layers "
    "mostly compressing) gives different answers for different estimators."
)


def critique_estimators(table: pd.DataFrame, missing: tuple[str, ...] = ()) -> Verdict:
    """The estimator critique from per-estimator, per-layer compression rows."""
    title = "Critique: compression depends on the estimator (Saxe; Chelombiev; Goldfeld)"
    skipped = (
        f" The estimator(s) {', '.join(missing)} are not registered in this "
        "installation and were skipped."
        if missing
        else ""
    )
    if table.empty or table["estimator"].nunique() < 2:
        return Verdict(
            "estimators",
            title,
            None,
            "Only the binning estimator is available: not tested." + skipped,
            ESTIMATOR_RULE,
        )
    parts, answers = [], {}
    for name, rows in table.groupby("estimator", sort=False):
        hidden = rows[rows["hidden"]]
        k = int(mostly_compressing(hidden).sum())
        answers[name] = k > len(hidden) / 2
        parts.append(
            f"{name}: {k} of {len(hidden)} hidden layers mostly compressing "
            f"({int(hidden['compresses'].sum())} compress)"
        )
    supported = len(set(answers.values())) > 1
    finding = (
        "; ".join(parts)
        + (
            ": the estimators disagree on claim 1."
            if supported
            else ": the estimators agree on claim 1."
        )
        + skipped
    )
    return Verdict("estimators", title, supported, finding, ESTIMATOR_RULE)
