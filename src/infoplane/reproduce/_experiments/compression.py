"""Claim 1 (Figures 2, 3): most epochs are spent compressing.

Runs: the tanh network on 5%, 45% and 85% of the inputs (85%, the main run, is the
paper's other experiments' too). Measures: the main run's phases table and each
size's per-layer compression. Rule: :data:`RULE`. Section: Figures 2 and 3, the GIF.
"""

from __future__ import annotations

import pandas as pd

from infoplane.analysis import MIN_COMPRESSION_BITS
from infoplane.reproduce import _figures
from infoplane.reproduce._context import Context, Measured
from infoplane.reproduce._report import Section
from infoplane.reproduce._runs import MAIN, RunSpec, size_key, size_spec
from infoplane.reproduce._scale import Scale
from infoplane.reproduce._tables import layers_display, phases_display
from infoplane.reproduce._verdict import (
    UNCERTAINTY_RULE,
    Verdict,
    count_interval,
    fmt,
    with_interval,
)

KEY = "claim1"

TRAIN_SIZES = (0.05, 0.45, 0.85)
"""Training-set fractions of the paper's Figures 2 and 3."""

RULE = (
    "A hidden layer is 'mostly compressing' when its seed-averaged I(X;T) falls by at "
    f"least {MIN_COMPRESSION_BITS:g} bits from its peak to the end of training and the "
    "epochs after the peak (the compression phase) are more than half of all epochs "
    "(compression_fraction > 0.5). The claim is supported when more than half of the "
    "hidden layers are mostly compressing."
) + UNCERTAINTY_RULE


def runs(scale: Scale) -> list[RunSpec]:
    return [size_spec(scale, fraction) for fraction in TRAIN_SIZES]


def mostly_compressing(table: pd.DataFrame) -> pd.Series:
    """Claim 1's test of a layer: it compresses and compresses for most of the epochs."""
    return table["compresses"].astype(bool) & (table["compression_fraction"] > 0.5)


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
    interval = count_interval(boot, None if boot is None else mostly_compressing(boot))
    supported, undecided, span = with_interval(k > n / 2, interval, n / 2)
    detail = detail.replace(" hidden layers are mostly", f" hidden layers{span} are mostly", 1)
    return Verdict(
        KEY,
        "Most epochs are spent compressing",
        supported,
        f"{detail}.",
        RULE,
        undecided,
    )


def measure(ctx: Context) -> Measured:
    phases, replicates = ctx.phases()
    sizes = pd.concat(
        [
            ctx.layer_summary(size_key(fraction)).assign(train_fraction=fraction)
            for fraction in TRAIN_SIZES
        ],
        ignore_index=True,
    )
    sizes = sizes[["train_fraction"] + [c for c in sizes.columns if c != "train_fraction"]]
    return Measured(
        claim1(phases, replicates), tables={"phases": phases, "sizes": sizes}
    )


def size_panels(ctx: Context) -> dict[str, pd.DataFrame]:
    """Each training-set size's information table, titled "85% training set"."""
    return {
        f"{round(100 * f)}% training set": ctx.run(size_key(f)).information for f in TRAIN_SIZES
    }


def section(ctx: Context, measured: Measured) -> Section:
    from infoplane.plots.animation import write_information_plane_gif

    scale, main = ctx.scale, ctx.spec(MAIN).config
    panels = size_panels(ctx)
    fig3 = _figures.information_planes(panels, ctx.figures / "fig3_information_planes.png")
    fig2 = _figures.layer_snapshots(
        panels, scale.snapshot_epoch, ctx.figures / "fig2_layer_snapshots.png"
    )
    gif = write_information_plane_gif(
        ctx.run(MAIN).information, ctx.out / "information_plane.gif", max_frames=scale.gif_frames
    )
    sizes = measured.tables["sizes"]
    sizes = sizes.assign(
        **{"training set": [f"{round(100 * f)}%" for f in sizes["train_fraction"]]}
    )
    return Section(
        KEY,
        "Claim 1: most epochs are spent compressing",
        measured.verdict,
        "Shwartz-Ziv & Tishby see a short fitting phase, where I(X;T) and I(T;Y) grow, "
        "then a long compression phase, where I(X;T) falls. The compression onset of a "
        "layer is the epoch where its seed-averaged I(X;T) peaks; the compression "
        "amount is the peak minus the final value. Main run: "
        f"{round(100 * main.train_fraction)}% training set, {main.seeds} seeds, "
        f"{main.epochs} epochs, binning with {main.bins} bins.",
        [
            (
                fig3,
                "Figure 3: the information plane for 5%, 45% and 85% of the "
                "data as training set, mean of seeds, coloured by epoch",
            ),
            (
                fig2,
                "Figure 2: every seed's layers at the start, near epoch "
                f"{scale.snapshot_epoch} (or mid-training in shorter runs) and at the end "
                "(grey lines join one network's layers)",
            ),
            (
                gif,
                "The information plane of the main run, animated over the epochs "
                "(information_plane.gif)",
            ),
        ],
        [
            (
                "Per layer, main run (phases.parquet)",
                phases_display(measured.tables["phases"])[
                    [
                        "layer",
                        "compression onset [95% CI]",
                        "onset per seed: median [IQR]",
                        "compression (bits) [95% CI]",
                        "compression per seed: median [IQR]",
                        "compresses",
                        "epochs compressing",
                        "log-epoch axis",
                    ]
                ],
            ),
            (
                "Per training-set size (sizes.parquet); compression of the seed-averaged "
                "curve, and each seed's own",
                layers_display(sizes, ["training set", "layer"]),
            ),
        ],
    )
