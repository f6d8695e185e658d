"""Each claim's decision: an explicit rule applied to the measured numbers.

Every function here is pure: tables in, a :class:`Verdict` out. The rules are
stated in the ``rule`` of each verdict, which the report prints beside the finding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from infoplane.analysis import (
    CLEAR_BAND_OCTAVES,
    CONFIDENCE,
    FIT_FRACTION,
    MIN_COMPRESSION_BITS,
    SNR_BAND,
    decide,
    percentile_interval,
)

ONSET_TOLERANCE_OCTAVES = 1.0
"""Claim 2: compression starts "at" the transition when onset / transition lies within
a factor 2**this (one octave: half to twice the transition epoch)."""

GAP_TOLERANCE = 0.1
"""Claim 3: a layer lies "close" to the IB bound when its distance to the bound (the
``gap`` of ``ib_layers.parquet``) is at most this fraction of I(X;Y)."""

DEPTH_RANK_CORRELATION = -0.5
"""Claim 4: the Spearman correlation between depth and epochs to fit must be at most this."""

KL_TOLERANCE = 0.1
"""Claim 3: a layer satisfies the IB self-consistent equations at its beta* when the fit's
residual E_x KL[p_layer(t|x) ‖ p_beta*(t|x)] (``kl_at_beta``) is at most this fraction
of its I(X;T)."""

UNCERTAINTY_RULE = (
    f" Uncertainty: the rule's count (or correlation) is recomputed on 1000 resamples of "
    f"the seeds; the verdict is 'not decided' when its {100 * CONFIDENCE:g}% interval "
    "straddles the rule's threshold."
)


@dataclass(frozen=True)
class Verdict:
    """Whether this reproduction supports a claim, and why.

    ``supported`` is True or False, or None where the claim could not be tested or,
    with ``undecided``, where the evidence does not decide it (the 95% interval over
    seeds straddles the rule's threshold, or the answer changes within the transition's
    band of thresholds).
    """

    key: str
    title: str
    supported: bool | None
    finding: str
    rule: str
    undecided: bool = False

    @property
    def label(self) -> str:
        if self.undecided:
            return "not decided"
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
) + UNCERTAINTY_RULE


def _count_interval(
    replicates: pd.DataFrame | None, passes: pd.Series | None
) -> tuple[float, float] | None:
    """The 95% interval of the number of layers passing a test, over the replicates."""
    if replicates is None or passes is None:
        return None
    return percentile_interval(passes.groupby(replicates["replicate"]).sum().to_numpy())


def _with_interval(
    point: bool, interval: tuple[float, float] | None, threshold: float, *, strict: bool = True
) -> tuple[bool | None, bool, str]:
    """(supported, undecided, text) from the point answer and the count's interval."""
    if interval is None:
        return point, False, ""
    low, high = interval
    decided = decide(low, high, threshold, strict=strict)
    text = f" (95% interval over seeds: {_span(low, high)})"
    return decided, decided is None, text


def _span(low: float, high: float) -> str:
    """A count's interval: "3" or "2-3"."""
    return fmt_epoch(low) if low == high else f"{fmt_epoch(low)}-{fmt_epoch(high)}"


def claim1(phases: pd.DataFrame, replicates: pd.DataFrame | None = None) -> Verdict:
    """Claim 1 from the main run's phases table (hidden layers only).

    ``replicates`` (:func:`~infoplane.analysis.phases_replicates`) give the interval
    of the count of mostly compressing layers over resamples of the seeds.
    """
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
    boot = None if replicates is None else replicates[replicates["hidden"]]
    interval = _count_interval(boot, None if boot is None else mostly_compressing(boot))
    supported, undecided, span = _with_interval(k > n / 2, interval, n / 2)
    detail = detail.replace(" hidden layers are mostly", f" hidden layers{span} are mostly", 1)
    return Verdict(
        "claim1",
        "Most epochs are spent compressing",
        supported,
        f"{detail}.",
        CLAIM1_RULE,
        undecided,
    )


CLAIM2_RULE = (
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


def _near(octaves: np.ndarray) -> np.ndarray:
    return np.abs(np.asarray(octaves, dtype=float)) <= ONSET_TOLERANCE_OCTAVES


def claim2(phases: pd.DataFrame, replicates: pd.DataFrame | None = None) -> Verdict:
    """Claim 2 from the main run's phases table (and its seed resamples, if given)."""
    title = "Compression starts at the drift-to-diffusion transition"
    hidden = phases[phases["hidden"] & phases["compresses"].astype(bool)]
    n = len(hidden)
    trans = phases[phases["hidden"]]["transition_epoch"]
    if n == 0:
        return Verdict(
            title=title,
            key="claim2",
            supported=False,
            finding="No hidden layer compresses, so there is no compression onset "
            "to compare with the transition.",
            rule=CLAIM2_RULE,
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
        interval = _count_interval(boot, passes)
        supported, undecided, span = _with_interval(bool(supported), interval, m / 2)
        finding += f"; count{span}"
    return Verdict(
        "claim2", title, None if undecided else supported, f"{finding}.", CLAIM2_RULE, undecided
    )


def _epoch_range(epochs: pd.Series) -> str:
    low, high = fmt_epoch(epochs.min()), fmt_epoch(epochs.max())
    return low if low == high else f"{low}-{high}"


CLAIM3_RULE = (
    "With soft labels (deterministic labels make the IB curve trivial: Kolchinsky et "
    "al. 2019), each layer's distance to the IB bound at the last epoch (gap, bits, "
    "median over seeds) is compared with I(X;Y), and the residual of its beta fit, "
    "E_x KL[p_layer(t|x) || p_beta*(t|x)] (kl_at_beta, bits, median over seeds), with its "
    "I(X;T). The claim is supported when more than half of the hidden layers lie within "
    f"{100 * GAP_TOLERANCE:g}% of I(X;Y) of the bound and more than half satisfy the "
    f"self-consistent equations at their beta* (residual at most {100 * KL_TOLERANCE:g}% "
    "of I(X;T)); the per-layer beta* is reported."
) + UNCERTAINTY_RULE


def _satisfies(table: pd.DataFrame) -> pd.Series:
    return table["kl_at_beta"] <= KL_TOLERANCE * table["ixt"]


def claim3(
    ib_final: pd.DataFrame | None,
    i_xy: float,
    *,
    note: str = "",
    replicates: pd.DataFrame | None = None,
) -> Verdict:
    """Claim 3 from the IB run's last-epoch table (layer, hidden, gap, beta, kl_at_beta).

    ``replicates``: the same medians on resamples of the seeds (a ``replicate`` column).
    """
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
    boot = None
    if replicates is not None:
        boot = replicates[replicates["layer"].isin(layers["layer"])]
    interval = _count_interval(boot, None if boot is None else boot["gap"] <= GAP_TOLERANCE * i_xy)
    supported, undecided, span = _with_interval(k > n / 2, interval, n / 2)
    finding = (
        f"{k} of {n} hidden layers{span} lie within {100 * GAP_TOLERANCE:g}% of I(X;Y) = "
        f"{fmt(i_xy, 3)} bits of the bound (gaps in bits: {gaps}); fitted beta: {betas}"
    )
    if "kl_at_beta" in layers:
        j = int(_satisfies(layers).sum())
        kls = ", ".join(f"L{int(r.layer)} {fmt(r.kl_at_beta, 3)}" for r in layers.itertuples())
        kl_interval = _count_interval(boot, None if boot is None else _satisfies(boot))
        kl_supported, _, kl_span = _with_interval(j > n / 2, kl_interval, n / 2)
        finding += (
            f"; {j} of {n}{kl_span} satisfy the self-consistent equations at their beta* "
            f"(residual E_x KL in bits: {kls})"
        )
        parts = (supported, kl_supported)
        if False in parts:  # one part failing decides
            supported, undecided = False, False
        elif None in parts:
            supported, undecided = None, True
    return Verdict(
        "claim3", title, None if undecided else supported, f"{finding}.", CLAIM3_RULE, undecided
    )


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
) + UNCERTAINTY_RULE


def _rank_correlation(depths: np.ndarray, epochs: np.ndarray) -> float:
    finite = epochs[np.isfinite(epochs)]
    ranked = np.where(np.isfinite(epochs), epochs, np.nanmax(np.r_[finite, 0]) + 1)
    if np.ptp(ranked) == 0:
        return float("nan")
    return float(spearmanr(depths, ranked).statistic)


def claim4(depth: pd.DataFrame, replicates: pd.DataFrame | None = None) -> Verdict:
    """Claim 4 from the depth table (depth, fit_median, fit_at_init, ...).

    ``replicates``: per (replicate, depth), the ``error_epoch`` on resamples of the seeds.
    """
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
    falls: bool | None = bool(
        np.isfinite(rho) and rho <= DEPTH_RANK_CORRELATION and ranked[-1] < ranked[0]
    )
    undecided, span = False, ""
    if replicates is not None and "error_epoch" in depth:
        wide = replicates.pivot(index="replicate", columns="depth", values="error_epoch")
        wide = wide[depth["depth"].tolist()]
        rhos = np.array(
            [_rank_correlation(wide.columns.to_numpy(), row) for row in wide.to_numpy(float)]
        )
        rhos = np.where(np.isnan(rhos), 0.0, rhos)  # no order at all: no fall
        low, high = percentile_interval(rhos)
        span = f", 95% interval over seeds {fmt(low)} to {fmt(high)}"
        by_rho = decide(-high, -low, -DEPTH_RANK_CORRELATION, strict=False)
        if by_rho is None:
            undecided, falls = True, None
        elif by_rho is False:
            falls = False
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
                    f"verdict's measure: {err} (Spearman rho {fmt(rho)}{span})")
    return Verdict(
        "claim4",
        "Training time drops as hidden layers are added",
        falls,
        f"{finding}.",
        CLAIM4_RULE,
        undecided,
    )


RELU_RULE = (
    "Saxe et al. (2018): ReLU networks do not compress under binning (100 bins between "
    "each layer's extreme values over training). The critique is supported when fewer "
    f"than half of the ReLU network's hidden layers compress (I(X;T) falls by >= "
    f"{MIN_COMPRESSION_BITS:g} bits from its peak to the end), to compare with the tanh "
    "network's count."
) + UNCERTAINTY_RULE


def critique_relu(
    relu: pd.DataFrame, tanh: pd.DataFrame, replicates: pd.DataFrame | None = None
) -> Verdict:
    """The ReLU critique from each network's per-layer compression (with ``hidden``).

    ``replicates``: the ReLU network's compression on resamples of the seeds
    (:func:`~infoplane.analysis.compression_replicates`).
    """
    r, t = relu[relu["hidden"]], tanh[tanh["hidden"]]
    k, n = int(r["compresses"].sum()), len(r)
    boot = None if replicates is None else replicates[replicates["layer"].isin(r["layer"])]
    interval = _count_interval(
        boot, None if boot is None else boot["compression_bits"] >= MIN_COMPRESSION_BITS
    )
    # "fewer than half compress" is "the count is not >= n / 2"
    against, undecided, span = _with_interval(k >= n / 2, interval, n / 2, strict=False)
    supported = None if against is None else not against
    amounts = ", ".join(f"L{int(x.layer)} {fmt(x.compression_bits)}" for x in r.itertuples())
    finding = (
        f"{k} of {n}{span} ReLU hidden layers compress (falls in bits: {amounts}), against "
        f"{int(t['compresses'].sum())} of {len(t)} for tanh."
    )
    return Verdict(
        "relu",
        "Critique: ReLU networks do not compress (Saxe et al. 2018)",
        supported,
        finding,
        RELU_RULE,
        undecided,
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
