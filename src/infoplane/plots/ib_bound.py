"""Layers against the Information Bottleneck bound (Shwartz-Ziv & Tishby 2017, Figure 6)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from infoplane.errors import check

CURVE_COLUMNS = ("beta", "ixt", "ity")
LAYER_COLUMNS = ("seed", "epoch", "layer", "ixt", "ity", "gap", "beta")


def _require(df: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    check(not missing, f"plot_ib_bound: the {name} table lacks the columns {missing}")


def layer_summary(layers: pd.DataFrame) -> pd.DataFrame:
    """Per layer at the last epoch: mean and std over seeds of ixt, ity (bits), median beta*.

    Columns ``layer, epoch, ixt, ity, ixt_std, ity_std, beta, n_seeds``; std is 0 for
    a single seed; ``beta`` ignores NaN (layers whose beta* is undefined).
    """
    last = layers[layers["epoch"] == layers["epoch"].max()]
    grouped = last.groupby("layer")
    table = grouped[["ixt", "ity"]].mean()
    std = grouped[["ixt", "ity"]].std(ddof=0).fillna(0.0)
    table["ixt_std"], table["ity_std"] = std["ixt"], std["ity"]
    table["beta"] = grouped["beta"].median()
    table["n_seeds"] = grouped["seed"].nunique()
    table["epoch"] = last["epoch"].max()
    return table.reset_index()


def plot_ib_bound(
    curve: pd.DataFrame,
    layers: pd.DataFrame,
    *,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """The IB curve with the layers of the last epoch placed against it.

    Parameters
    ----------
    curve : DataFrame with columns beta, ixt, ity
        The bound (bits), e.g. ``IBCurve.to_frame()``; drawn as a line, and its
        largest I(T;Y), I(X;Y), as a dashed horizontal line.
    layers : DataFrame with columns seed, epoch, layer, ixt, ity, gap, beta
        Layers against the bound (bits); only the last epoch present is drawn, one
        point a layer at the mean over seeds with std error bars in both directions,
        its median beta* over seeds in the legend. May be empty.
    ax : Axes, optional
        Where to draw; the current Axes by default.
    title : str, optional
        Replaces the default title.

    Returns
    -------
    Axes
    """
    _require(curve, CURVE_COLUMNS, "curve")
    _require(layers, LAYER_COLUMNS, "layers")
    if ax is None:
        ax = plt.gca()
    points = curve[np.isfinite(curve["ixt"]) & np.isfinite(curve["ity"])].sort_values("ixt")
    check(len(points) > 0, "plot_ib_bound: the curve table has no finite points")
    ixy = float(points["ity"].max())
    ax.plot(points["ixt"], points["ity"], color="black", lw=1.6, label="IB bound", zorder=2)
    ax.axhline(ixy, color="grey", ls="--", lw=1.0, label=f"I(X;Y) = {ixy:.3f}", zorder=1)
    subtitle = "IB bound"
    if len(layers):
        summary = layer_summary(layers)
        cmap = plt.get_cmap("viridis")
        n = len(summary)
        for k, row in enumerate(summary.itertuples(index=False)):
            color = cmap(0.9 * k / max(n - 1, 1))
            beta = "β* n/a" if not np.isfinite(row.beta) else f"β*={row.beta:.3g}"
            ax.errorbar(
                row.ixt,
                row.ity,
                xerr=row.ixt_std,
                yerr=row.ity_std,
                fmt="o",
                color=color,
                ms=6,
                capsize=3,
                label=f"layer {int(row.layer)} ({beta})",  # in the legend: deep layers overlap
                zorder=3,
            )
        seeds = int(summary["n_seeds"].max())
        subtitle = f"layers at epoch {int(summary['epoch'].iloc[0])}, mean ± std of {seeds} seeds"
    ax.set_xlabel("I(X;T) (bits)")
    ax.set_ylabel("I(T;Y) (bits)")
    ax.set_xlim(left=0.0)
    ax.set_ylim(0.0, 1.08 * ixy if ixy > 0 else 1.0)
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.set_title(title or subtitle)
    return ax
