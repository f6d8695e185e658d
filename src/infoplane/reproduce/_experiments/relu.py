"""Critique (Saxe et al., ICLR 2018): ReLU networks do not compress.

Runs: the preset network with ReLU hidden layers (beside the main tanh run).
Measures: each network's per-layer compression with its seed resamples. Rule:
:data:`RULE`. Section: the information planes of the critiques and the table.
"""

from __future__ import annotations

import pandas as pd

from infoplane.analysis import MIN_COMPRESSION_BITS, compression_replicates
from infoplane.reproduce import _figures
from infoplane.reproduce._context import Context, Measured
from infoplane.reproduce._experiments import estimators
from infoplane.reproduce._report import Section
from infoplane.reproduce._runs import MAIN, RunSpec, base_config, main_spec
from infoplane.reproduce._scale import Scale
from infoplane.reproduce._tables import layers_display
from infoplane.reproduce._verdict import (
    UNCERTAINTY_RULE,
    Verdict,
    count_interval,
    fmt,
    with_interval,
)

KEY = "relu"
RUN = "relu"

RULE = (
    "Saxe et al. (2018): ReLU networks do not compress under binning (100 bins between "
    "each layer's extreme values over training). The critique is supported when fewer "
    f"than half of the ReLU network's hidden layers compress (I(X;T) falls by >= "
    f"{MIN_COMPRESSION_BITS:g} bits from its peak to the end), to compare with the tanh "
    "network's count."
) + UNCERTAINTY_RULE


def runs(scale: Scale) -> list[RunSpec]:
    return [
        main_spec(scale),
        RunSpec(
            RUN,
            "critiques",
            "ReLU, binning (Saxe et al. 2018)",
            base_config(scale).replace(activation="relu"),
        ),
    ]


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
    interval = count_interval(
        boot, None if boot is None else boot["compression_bits"] >= MIN_COMPRESSION_BITS
    )
    # "fewer than half compress" is "the count is not >= n / 2"
    against, undecided, span = with_interval(k >= n / 2, interval, n / 2, strict=False)
    supported = None if against is None else not against
    amounts = ", ".join(f"L{int(x.layer)} {fmt(x.compression_bits)}" for x in r.itertuples())
    finding = (
        f"{k} of {n}{span} ReLU hidden layers compress (falls in bits: {amounts}), against "
        f"{int(t['compresses'].sum())} of {len(t)} for tanh."
    )
    return Verdict(
        KEY,
        "Critique: ReLU networks do not compress (Saxe et al. 2018)",
        supported,
        finding,
        RULE,
        undecided,
    )


def measure(ctx: Context) -> Measured:
    relu, tanh = ctx.layer_summary(RUN), ctx.layer_summary(MAIN)
    verdict = critique_relu(relu, tanh, compression_replicates(ctx.run(RUN).information))
    rows = pd.concat(
        [
            relu.assign(network="relu", estimator="binning", run=RUN),
            tanh.assign(network="tanh", estimator="binning", run=MAIN),
        ],
        ignore_index=True,
    )
    return Measured(verdict, tables={"critiques": rows})


def section(ctx: Context, measured: Measured) -> Section:
    pct = f"{round(100 * ctx.spec(MAIN).config.train_fraction)}% training set"
    panels = {
        f"tanh, binning ({pct})": ctx.run(MAIN).information,
        "ReLU, binning (Saxe et al.)": ctx.run(RUN).information,
    }
    panels_by_estimator = estimators.panels(ctx)  # the estimator critique's networks too
    figure = _figures.information_planes(
        {**panels, **{title: info for title, (info, _) in panels_by_estimator.items()}},
        ctx.figures / "critiques_planes.png",
        estimators={title: name for title, (_, name) in panels_by_estimator.items()},
        ncols=3,
    )
    return Section(
        KEY,
        "Critique: ReLU networks (Saxe et al., ICLR 2018)",
        measured.verdict,
        "The same network with ReLU hidden layers; each hidden layer is binned into 100 "
        "bins between its extreme values over training, as Saxe et al. did (the "
        "paper's 30 bins on [-1, 1] for tanh).",
        [
            (
                figure,
                "Information planes: tanh and ReLU under binning, and the "
                "tanh networks of the estimator critique's run under each estimator",
            )
        ],
        [
            (
                "Per layer (critiques.parquet)",
                layers_display(measured.tables["critiques"], ["network", "estimator", "layer"]),
            )
        ],
    )
