"""The information plane (Shwartz-Ziv & Tishby 2017, Figure 3)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm


def seed_mean(information: pd.DataFrame, estimator: str | None = None) -> pd.DataFrame:
    """I(X;T) and I(T;Y) averaged over seeds, per (epoch, layer); bits."""
    df = information
    if estimator is not None:
        df = df[df["estimator"] == estimator]
    return df.groupby(["epoch", "layer"], as_index=False)[["ixt", "ity"]].mean()


def plot_information_plane(
    information: pd.DataFrame,
    *,
    estimator: str | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    colorbar: bool = True,
) -> Axes:
    """One trajectory per layer, averaged over seeds, coloured by epoch (log scale).

    Points of the same epoch are joined across layers by a thin line, as in the
    paper. ``estimator`` selects rows (default: the first estimator present).
    """
    if ax is None:
        ax = plt.gca()
    if estimator is None:
        estimator = str(information["estimator"].iloc[0])
    mean = seed_mean(information, estimator)
    epochs = np.maximum(mean["epoch"].to_numpy(), 1)
    norm = LogNorm(vmin=1, vmax=max(int(epochs.max()), 2))
    cmap = plt.get_cmap("gnuplot")
    for epoch, group in mean.groupby("epoch"):
        group = group.sort_values("layer")
        ax.plot(group["ixt"], group["ity"], color=cmap(norm(max(epoch, 1))), lw=0.4,
                alpha=0.25, zorder=1)
    points = ax.scatter(mean["ixt"], mean["ity"], c=epochs, cmap=cmap, norm=norm, s=14,
                        zorder=2, edgecolors="none")
    last = mean[mean["epoch"] == mean["epoch"].max()]
    for _, row in last.iterrows():
        ax.annotate(f"L{int(row['layer'])}", (row["ixt"], row["ity"]), fontsize=8,
                    xytext=(3, -10), textcoords="offset points")
    if colorbar:
        ax.figure.colorbar(points, ax=ax, label="epochs")
    ax.set_xlabel("I(X;T) (bits)")
    ax.set_ylabel("I(T;Y) (bits)")
    n_seeds = information["seed"].nunique()
    ax.set_title(title or f"information plane ({estimator}, mean of {n_seeds} seeds)")
    return ax
