"""The report's text: formatted tables and the sections of each claim, and the summary."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from infoplane.reproduce._claims import Verdict, fmt, fmt_epoch
from infoplane.reproduce._plan import ERROR_LEVEL, IB_GAMMA, Plan
from infoplane.reproduce._report import Section
from infoplane.reproduce._scale import Scale

if TYPE_CHECKING:
    from infoplane.reproduce._reproduce import ReproduceResult


def runs_table(plan: Plan, run_seconds: dict[str, float]) -> pd.DataFrame:
    rows = []
    for spec in plan.runs:
        c = spec.config
        rows.append(
            {
                "run": f"runs/{spec.key}",
                "experiment": spec.experiment,
                "what": spec.label,
                "seeds": c.seeds,
                "epochs": c.epochs,
                "log epochs": c.log_epochs,
                "estimators": ", ".join(c.estimators),
                "seconds": f"{run_seconds.get(spec.key, float('nan')):.1f}",
            }
        )
    return pd.DataFrame(rows)


def _iqr(df: pd.DataFrame, name: str, digits: int | None = 2) -> list[str]:
    """ "median [q25, q75]" of the columns ``name_*``; ``digits=None`` formats epochs."""

    def f(x: float) -> str:
        return fmt_epoch(x) if digits is None else fmt(x, digits)

    return [
        f"{f(m)} [{f(a)}, {f(b)}]"
        for m, a, b in zip(df[f"{name}_median"], df[f"{name}_q25"], df[f"{name}_q75"], strict=True)
    ]


def _ci(df: pd.DataFrame, column: str, name: str, digits: int | None = 2) -> list[str]:
    """ "value [low, high]": ``column`` with the 95% interval ``name_ci_low/high``."""

    def f(x: float) -> str:
        return fmt_epoch(x) if digits is None else fmt(x, digits)

    if f"{name}_ci_low" not in df:
        return [f(x) for x in df[column]]
    return [
        f"{f(x)} [{f(a)}, {f(b)}]"
        for x, a, b in zip(df[column], df[f"{name}_ci_low"], df[f"{name}_ci_high"], strict=True)
    ]


def _band(phases: pd.DataFrame) -> list[str]:
    if "transition_early" not in phases:
        return ["n/a"] * len(phases)
    return [
        f"{fmt_epoch(a)}-{fmt_epoch(b)}"
        for a, b in zip(phases["transition_early"], phases["transition_late"], strict=True)
    ]


def phases_display(phases: pd.DataFrame) -> pd.DataFrame:
    """The phases table with readable, formatted columns (for the report and terminal).

    "value [low, high]" cells give the 95% bootstrap interval over seeds.
    """
    clear = phases.get("clear_transition", pd.Series(True, index=phases.index))
    return pd.DataFrame(
        {
            "layer": [
                f"L{int(x)}" + ("" if h else " (output)")
                for x, h in zip(phases["layer"], phases["hidden"], strict=True)
            ],
            "transition epoch [95% CI]": _ci(phases, "transition_epoch", "transition", None),
            "transition at SNR 2..0.5": _band(phases),
            "clear regime change": ["yes" if c else "no" for c in clear],
            "transition per seed: median [IQR]": _iqr(phases, "transition", None),
            "compression onset [95% CI]": _ci(phases, "onset_epoch", "onset", None),
            "onset per seed: median [IQR]": _iqr(phases, "onset", None),
            "log2 onset / transition": [fmt(x) for x in phases["onset_octaves"]],
            "compression (bits) [95% CI]": _ci(phases, "compression_bits", "compression_bits"),
            "compression per seed: median [IQR]": _iqr(phases, "compression_bits"),
            "compresses": ["yes" if c else "no" for c in phases["compresses"]],
            "epochs compressing": [f"{100 * x:.0f}%" for x in phases["compression_fraction"]],
            "log-epoch axis": [f"{100 * x:.0f}%" for x in phases["compression_fraction_log"]],
            "train error at transition": [
                f"{100 * x:.0f}%" if np.isfinite(x) else "n/a"
                for x in phases.get(
                    "train_error_at_transition", pd.Series(np.nan, index=phases.index)
                )
            ],
        }
    )


def _layers_display(df: pd.DataFrame, first: list[str]) -> pd.DataFrame:
    out = df[first].copy()
    out["layer"] = [
        f"L{int(x)}" + ("" if h else " (output)")
        for x, h in zip(df["layer"], df["hidden"], strict=True)
    ]
    out["peak I(X;T)"] = [fmt(x) for x in df["peak_ixt"]]
    out["final I(X;T)"] = [fmt(x) for x in df["final_ixt"]]
    out["final I(T;Y)"] = [fmt(x, 3) for x in df["final_ity"]]
    out["onset epoch"] = [fmt_epoch(x) for x in df["onset_epoch"]]
    out["compression (bits) [95% CI]"] = _ci(df, "compression_bits", "compression_bits")
    out["compression per seed: median [IQR]"] = _iqr(df, "compression_bits")
    out["compresses"] = ["yes" if c else "no" for c in df["compresses"]]
    out["epochs compressing"] = [f"{100 * x:.0f}%" for x in df["compression_fraction"]]
    out["log-epoch axis"] = [f"{100 * x:.0f}%" for x in df["compression_fraction_log"]]
    return out


def _ib_display(ib: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "layer": [
                f"L{int(x)}" + ("" if h else " (output)")
                for x, h in zip(ib["layer"], ib["hidden"], strict=True)
            ],
            "epoch": [fmt_epoch(x) for x in ib["epoch"]],
            "I(X;T) (bits)": [fmt(x) for x in ib["ixt"]],
            "I(T;Y) (bits)": [fmt(x, 3) for x in ib["ity"]],
            "gap to the bound (bits)": [fmt(x, 3) for x in ib["gap"]],
            "beta*": [fmt(x) for x in ib["beta"]],
            "residual E_x KL at beta* (bits)": [
                fmt(x, 3) for x in ib.get("kl_at_beta", pd.Series(np.nan, index=ib.index))
            ],
        }
    )


def sections(
    plan: Plan,
    scale: Scale,
    verdicts: tuple[Verdict, ...],
    fig: dict[str, Path],
    gif: Path,
    tables: dict[str, pd.DataFrame],
    i_xy: float,
    i_xy_soft: float,
) -> list[Section]:
    """One section a claim or critique, with its figures and formatted tables."""
    v = {x.key: x for x in verdicts}
    main = plan.spec(plan.main).config
    sizes = tables["sizes"].assign(
        **{"training set": [f"{round(100 * f)}%" for f in tables["sizes"]["train_fraction"]]}
    )
    depth = tables["depth"]
    depth_show = pd.DataFrame(
        {
            "hidden layers": depth["depth"],
            "widths": depth["widths"],
            "run": depth["run"],
            "epochs to 95% I(X;Y), seed-mean curve": [fmt_epoch(x) for x in depth["fit_epoch"]],
            "per seed: median [IQR]": _iqr(depth, "fit", None),
            "seeds reaching": [
                f"{a}/{b}" for a, b in zip(depth["n_reached"], depth["n_seeds"], strict=True)
            ],
            "fitted at init": ["yes" if x else "no" for x in depth["fit_at_init"]],
            f"epochs to train error < {100 * ERROR_LEVEL:g}% [95% CI]": _ci(
                depth, "error_epoch", "error_epoch", None
            ),
            "final train acc.": [fmt(x, 3) for x in depth["final_train_accuracy"]],
            "final test acc.": [fmt(x, 3) for x in depth["final_test_accuracy"]],
        }
    )
    comp = tables["depth_compression"]
    pivot = comp.pivot(index="depth", columns="layer", values="compression_time")
    pivot = pivot.map(fmt_epoch)
    pivot.columns = [f"L{c}" for c in pivot.columns]
    pivot = pivot.reset_index().rename(columns={"depth": "hidden layers"})
    crit = tables["critiques"]
    sections = [
        Section(
            "claim1",
            "Claim 1: most epochs are spent compressing",
            v["claim1"],
            "Shwartz-Ziv & Tishby see a short fitting phase, where I(X;T) and I(T;Y) grow, "
            "then a long compression phase, where I(X;T) falls. The compression onset of a "
            "layer is the epoch where its seed-averaged I(X;T) peaks; the compression "
            "amount is the peak minus the final value. Main run: "
            f"{round(100 * main.train_fraction)}% training set, {main.seeds} seeds, "
            f"{main.epochs} epochs, binning with {main.bins} bins.",
            [
                (
                    fig["fig3"],
                    "Figure 3: the information plane for 5%, 45% and 85% of the "
                    "data as training set, mean of seeds, coloured by epoch",
                ),
                (
                    fig["fig2"],
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
                    phases_display(tables["phases"])[
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
                    _layers_display(sizes, ["training set", "layer"]),
                ),
            ],
        ),
        Section(
            "claim2",
            "Claim 2: compression starts at the drift-to-diffusion transition",
            v["claim2"],
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
                    fig["fig4"],
                    "Figure 4: gradient mean (solid) and standard deviation (dashed) "
                    "per layer, transitions dotted",
                ),
                (fig["training"], "Loss and accuracy of the main run (mean and std of seeds)"),
            ],
            [
                (
                    "Transition and compression onset side by side (phases.parquet)",
                    phases_display(tables["phases"]),
                )
            ],
        ),
        Section(
            "claim3",
            "Claim 3: layers lie close to the IB bound, each at its own beta",
            v["claim3"],
            f"Run with soft labels p(y=1|x) = sigmoid({IB_GAMMA:g} (score(x) - theta)), I(X;Y) = "
            f"{i_xy_soft:.3f} bits: with the deterministic labels (I(X;Y) = {i_xy:.3f} bits) "
            "the IB curve is the trivial line I(T;Y) = min(I(X;T), H(Y)) "
            "(Kolchinsky et al., ICLR 2019).",
            [(fig["fig6"], "Figure 6: the layers against the IB bound")] if "fig6" in fig else [],
            [
                (
                    "Per layer at the last epoch, medians over seeds (ib.parquet)",
                    _ib_display(tables["ib"]),
                )
            ]
            if "ib" in tables
            else [],
        ),
        Section(
            "claim4",
            "Claim 4: training time drops as hidden layers are added",
            v["claim4"],
            "Networks of 1 to 6 hidden layers (widths 10; 10-7; ...; 10-7-5-4-3-3), tanh, "
            f"{round(100 * main.train_fraction)}% training set. Fit time: epochs until the "
            f"last hidden layer's I(T;Y) reaches 95% of I(X;Y) = H(Y) = {i_xy:.3f} bits. "
            "Compression time: from a layer's I(X;T) peak until 90% of its fall is done.",
            [
                (
                    fig["fig5"],
                    "Figure 5: the information plane of networks of 1 to 6 hidden layers",
                ),
                (fig["fig5_times"], "Fit time against depth, and each layer's compression time"),
            ],
            [
                ("Per network (depth.parquet)", depth_show),
                (
                    "Compression time in epochs, per network and layer (depth_compression.parquet;"
                    " n/a: the layer does not compress)",
                    pivot,
                ),
            ],
        ),
        Section(
            "relu",
            "Critique: ReLU networks (Saxe et al., ICLR 2018)",
            v["relu"],
            "The same network with ReLU hidden layers; each hidden layer is binned into 100 "
            "bins between its extreme values over training, as Saxe et al. did (the "
            "paper's 30 bins on [-1, 1] for tanh).",
            [
                (
                    fig["critiques"],
                    "Information planes: tanh and ReLU under binning, and the "
                    "tanh networks of the critique run under each estimator",
                )
            ],
            [
                (
                    "Per layer (critiques.parquet)",
                    _layers_display(
                        crit[crit["run"].isin([plan.relu, plan.main])],
                        ["network", "estimator", "layer"],
                    ),
                )
            ],
        ),
        Section(
            "estimators",
            "Critique: the estimator (Saxe; Chelombiev; Goldfeld)",
            v["estimators"],
            _estimator_text(plan, scale),
            [],
            [
                (
                    "Per estimator and layer, same networks (critiques.parquet)",
                    _layers_display(
                        crit[crit["run"] == plan.estimators], ["network", "estimator", "layer"]
                    ),
                )
            ]
            if plan.estimators is not None
            else [],
        ),
    ]
    return sections


def _estimator_text(plan: Plan, scale: Scale) -> str:
    if plan.estimators is None:
        return "Neither the kde nor the noisy estimator is registered; nothing to compare."
    from infoplane.estimators import get_estimator

    spec = plan.spec(plan.estimators).config

    def option(name: str, key: str) -> object:
        given = spec.estimator_options.get(name, {})
        return given.get(key, get_estimator(name).defaults.get(key))

    text = (
        f"{' and '.join(plan.critique_estimators)} cost 0.05-2 s per information point at "
        f"4096 inputs against ~2 ms for binning, so this run uses {spec.seeds} seed(s) and "
        f"about {spec.log_epochs} logged epochs ({spec.epochs} epochs of training)."
    )
    if "kde" in plan.critique_estimators:
        text += (
            " kde: the Kolchinsky-Tracey pairwise-distance bound "
            f"({option('kde', 'bound')}) on I(X;T+Z) of the noisy network, noise variance "
            f"{option('kde', 'sigma2')}, as Saxe et al. used it."
        )
    if "noisy" in plan.critique_estimators:
        samples = option("noisy", "n_samples")
        text += (
            " noisy: a Monte Carlo estimate of I(X;T+Z) for the noisy network T+Z, "
            f"Z ~ N(0, sigma^2 I), sigma = {option('noisy', 'sigma')} (Goldfeld et al., "
            "ICML 2019), finite and meaningful where the deterministic network's I(X;T) "
            "is constant or infinite; "
            + (f"{samples} Monte Carlo draws." if samples else "4 draws per input.")
        )
    if plan.missing_estimators:
        text += f" Skipped (not registered): {', '.join(plan.missing_estimators)}."
    return text


TERMINAL_COLUMNS = {
    "layer": "layer",
    "transition epoch [95% CI]": "transition [95% CI]",
    "transition at SNR 2..0.5": "SNR 2..0.5",
    "clear regime change": "clear",
    "compression onset [95% CI]": "onset [95% CI]",
    "log2 onset / transition": "log2(onset/tr.)",
    "compression (bits) [95% CI]": "compression [95% CI]",
    "epochs compressing": "%epochs",
    "log-epoch axis": "%log-axis",
    "train error at transition": "train err at tr.",
}
"""The phases table's columns printed in the terminal, and their short names there."""


def summary(result: ReproduceResult) -> str:
    """The phases table and the verdicts, for the terminal."""
    table = phases_display(result.phases)[list(TERMINAL_COLUMNS)].rename(columns=TERMINAL_COLUMNS)
    lines = [
        "phases of the main run (phases.parquet; epochs, bits; [95% interval over seeds]):",
        table.to_string(index=False),
        "",
    ]
    for v in result.verdicts:
        lines.append(f"{v.title}: {v.label.upper()}. {v.finding}")
    lines += [*result.notes, f"report: {result.report} ({result.seconds / 60:.1f} min)"]
    return "\n".join(lines)
