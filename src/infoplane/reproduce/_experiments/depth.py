"""Claim 4 (Figure 5): training time drops as hidden layers are added.

Runs: tanh networks of 1 to 6 hidden layers (the 5-layer one is the main run).
Measures: per network, the epochs until the training error is below 10% and until the
last hidden layer fits, and per layer the compression time, each with its 95%
bootstrap interval over seeds. Rule: :data:`RULE`. Section: Figure 5 and both tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from infoplane.analysis import (
    BOOTSTRAP_RESAMPLES,
    FIT_FRACTION,
    compression_duration_replicates,
    compression_durations,
    decide,
    epochs_to_fit,
    error_epoch,
    input_label_information,
    percentile_interval,
)
from infoplane.datasets import load_dataset
from infoplane.reproduce import _figures
from infoplane.reproduce._context import Context, Measured, final_accuracy
from infoplane.reproduce._report import Section
from infoplane.reproduce._runs import MAIN, RunSpec, base_config, main_spec
from infoplane.reproduce._scale import Scale
from infoplane.reproduce._tables import ci, iqr
from infoplane.reproduce._verdict import UNCERTAINTY_RULE, Verdict, fmt, fmt_epoch

KEY = "claim4"

DEPTH_WIDTHS = (10, 7, 5, 4, 3, 3)
"""Networks of 1..6 hidden layers take the first 1..6 of these widths (Figure 5)."""

ERROR_LEVEL = 0.1
"""Training time: epochs until the seed-mean training error is below this."""

DEPTH_RANK_CORRELATION = -0.5
"""The Spearman correlation between depth and training time must be at most this."""

RULE = (
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


def depth_key(depth: int, scale: Scale) -> str:
    """The run of the network with ``depth`` hidden layers (the main run for the preset's)."""
    return MAIN if DEPTH_WIDTHS[:depth] == base_config(scale).widths else f"depth-{depth}"


def runs(scale: Scale) -> list[RunSpec]:
    specs = []
    for depth in range(1, len(DEPTH_WIDTHS) + 1):
        widths = DEPTH_WIDTHS[:depth]
        key = depth_key(depth, scale)
        if key == MAIN:
            specs.append(main_spec(scale))
            continue
        specs.append(
            RunSpec(
                key,
                "depth",
                f"tanh, {depth} hidden layer(s) {'-'.join(map(str, widths))}",
                base_config(scale).replace(widths=widths),
            )
        )
    return specs


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
        if "error_epoch_ci_low" in depth:
            err = ", ".join(
                f"{int(r.depth)}: {fmt_epoch(r.error_epoch)} "
                f"[{fmt_epoch(r.error_epoch_ci_low)}, {fmt_epoch(r.error_epoch_ci_high)}]"
                for r in depth.itertuples()
            )
        else:
            err = ", ".join(
                f"{int(d)}: {fmt_epoch(e)}"
                for d, e in zip(depth["depth"], depth["error_epoch"], strict=True)
            )
        finding += (f". Epochs until the training error falls below 10% (seed mean), the "
                    f"verdict's measure: {err} (Spearman rho {fmt(rho)}{span})")
    return Verdict(
        KEY,
        "Training time drops as hidden layers are added",
        falls,
        f"{finding}.",
        RULE,
        undecided,
    )


def _durations(information: pd.DataFrame) -> pd.DataFrame:
    """compression_durations with the 95% interval over seeds of compression_time.

    A resample in which the layer does not compress counts as "not reached" (+inf), so
    an interval ending in "not reached" says the layer's compression depends on seeds.
    """
    table = compression_durations(information)
    boot = compression_duration_replicates(information, n_boot=BOOTSTRAP_RESAMPLES)
    low, high = [], []
    for layer in table["layer"]:
        a, b = percentile_interval(boot.loc[boot["layer"] == layer, "compression_time"])
        low.append(a)
        high.append(b)
    return table.assign(compression_time_ci_low=low, compression_time_ci_high=high)


def measure(ctx: Context) -> Measured:
    depths = {d: depth_key(d, ctx.scale) for d in range(1, len(DEPTH_WIDTHS) + 1)}
    dataset = ctx.spec(MAIN).config.dataset
    i_xy = input_label_information(load_dataset(dataset).p_y_given_x)
    rows, durations, boot = [], [], []
    for depth, key in depths.items():
        r = ctx.run(key)
        fit = epochs_to_fit(r.information, i_xy).set_index("layer").loc[depth]
        first = float(r.information["epoch"].min())
        err_epoch, err_boot = error_epoch(r.training, ERROR_LEVEL, n_boot=BOOTSTRAP_RESAMPLES)
        err_low, err_high = percentile_interval(err_boot)
        boot.append(
            pd.DataFrame({"replicate": np.arange(err_boot.size), "depth": depth,
                          "error_epoch": err_boot})
        )
        rows.append(
            {
                "depth": depth,
                "widths": "-".join(map(str, ctx.spec(key).config.widths)),
                "run": key,
                "last_hidden_layer": depth,
                **{c: float(fit[c]) for c in ("fit_epoch", "fit_median", "fit_q25", "fit_q75")},
                "n_reached": int(fit["n_reached"]),
                "n_seeds": int(fit["n_seeds"]),
                "fit_at_init": bool(fit["fit_median"] <= first),
                "error_epoch": err_epoch,
                "error_epoch_ci_low": err_low,
                "error_epoch_ci_high": err_high,
                "final_train_accuracy": final_accuracy(r.training, "train_accuracy"),
                "final_test_accuracy": final_accuracy(r.training, "test_accuracy"),
            }
        )
        durations.append(_durations(r.information).assign(depth=depth))
    table = pd.DataFrame(rows)
    comp = pd.concat(durations, ignore_index=True)
    comp = comp[["depth"] + [c for c in comp.columns if c != "depth"]]
    verdict = claim4(table, pd.concat(boot, ignore_index=True))
    return Measured(
        verdict,
        tables={"depth": table, "depth_compression": comp},
        data={"depths": depths, "i_xy": i_xy},
    )


def section(ctx: Context, measured: Measured) -> Section:
    depths = measured.data["depths"]
    depth, comp = measured.tables["depth"], measured.tables["depth_compression"]
    main = ctx.spec(MAIN).config
    fig5 = _figures.information_planes(
        {
            f"{d} hidden layer{'s' if d > 1 else ''} "
            f"({'-'.join(map(str, ctx.spec(k).config.widths))})": ctx.run(k).information
            for d, k in depths.items()
        },
        ctx.figures / "fig5_depth_planes.png",
        ncols=3,
    )
    times = _figures.depth(
        depth.assign(error_level=ERROR_LEVEL), comp, float(ctx.scale.epochs),
        ctx.figures / "fig5_depth_times.png",
    )
    shown = pd.DataFrame(
        {
            "hidden layers": depth["depth"],
            "widths": depth["widths"],
            "run": depth["run"],
            "epochs to 95% I(X;Y), seed-mean curve": [fmt_epoch(x) for x in depth["fit_epoch"]],
            "per seed: median [IQR]": iqr(depth, "fit", None),
            "seeds reaching": [
                f"{a}/{b}" for a, b in zip(depth["n_reached"], depth["n_seeds"], strict=True)
            ],
            "fitted at init": ["yes" if x else "no" for x in depth["fit_at_init"]],
            f"epochs to train error < {100 * ERROR_LEVEL:g}% [95% CI]": ci(
                depth, "error_epoch", "error_epoch", None
            ),
            "final train acc.": [fmt(x, 3) for x in depth["final_train_accuracy"]],
            "final test acc.": [fmt(x, 3) for x in depth["final_test_accuracy"]],
        }
    )
    cells = ci(comp, "compression_time", "compression_time", None)
    comp = comp.assign(
        cell=[c if np.isfinite(t) else "n/a" for c, t in zip(cells, comp["compression_time"],
                                                             strict=True)]
    )
    pivot = comp.pivot(index="depth", columns="layer", values="cell")
    pivot.columns = [f"L{c}" for c in pivot.columns]
    pivot = pivot.fillna("").reset_index().rename(columns={"depth": "hidden layers"})
    return Section(
        KEY,
        "Claim 4: training time drops as hidden layers are added",
        measured.verdict,
        "Networks of 1 to 6 hidden layers (widths 10; 10-7; ...; 10-7-5-4-3-3), tanh, "
        f"{round(100 * main.train_fraction)}% training set. Fit time: epochs until the "
        f"last hidden layer's I(T;Y) reaches 95% of I(X;Y) = H(Y) = "
        f"{measured.data['i_xy']:.3f} bits. Compression time: from a layer's I(X;T) peak "
        "until 90% of its fall is done. Brackets: 95% bootstrap intervals over seeds.",
        [
            (fig5, "Figure 5: the information plane of networks of 1 to 6 hidden layers"),
            (times, f"Epochs until the training error falls below {100 * ERROR_LEVEL:g}% "
             "(the verdict's measure), fit time against depth, and each layer's "
             "compression time"),
        ],
        [
            ("Per network (depth.parquet)", shown),
            (
                "Compression time in epochs [95% interval over seeds], per network and "
                "layer (depth_compression.parquet; n/a: the layer does not compress; an "
                "interval ending in 'not reached': it does not compress in some resamples "
                "of the seeds)",
                pivot,
            ),
        ],
    )
