"""The information plane (Shwartz-Ziv & Tishby 2017, Figure 3)."""

from __future__ import annotations

from typing import Any

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
    if colorbar:
        ax.figure.colorbar(points, ax=ax, label="epochs")
    ax.set_xlabel("I(X;T) (bits)")
    ax.set_ylabel("I(T;Y) (bits)")
    _label_layers(ax, mean[mean["epoch"] == mean["epoch"].max()], layer_names(information))
    n_seeds = information["seed"].nunique()
    seeds = "1 seed" if n_seeds == 1 else f"mean of {n_seeds} seeds"
    ax.set_title(title or f"information plane ({estimator}, {seeds})")
    return ax


def layer_names(table: pd.DataFrame) -> dict[int, str]:
    """Layer number -> its label in figures: the table's ``layer_name`` (a monitor run
    names its layers, e.g. "act1") where present, else "L<k>"."""
    names = {int(k): f"L{int(k)}" for k in pd.unique(table["layer"])}
    if "layer_name" in table.columns:
        named = table.drop_duplicates("layer").dropna(subset=["layer_name"])
        names.update({int(k): str(n) for k, n in zip(named["layer"], named["layer_name"],
                                                     strict=True) if str(n)})
    return names


def _label_layers(ax: Axes, last: pd.DataFrame, names: dict[int, str] | None = None) -> None:
    """Label each layer's last point with its name (``layer_names``: "L<k>" for the
    built-in nets); a label that would overlap one already placed (layers that
    coincide, as L1 and L2 often do at I(X;T) = H(X)) joins it instead: "L1, L2".
    Call once the axes' size and limits are final."""
    names = names or {}
    ax.autoscale_view()
    renderer = ax.figure.canvas.get_renderer()
    placed: list[tuple[Any, list[int]]] = []
    for _, row in last.sort_values("layer").iterrows():
        layer = int(row["layer"])
        label = ax.annotate(names.get(layer, f"L{layer}"), (row["ixt"], row["ity"]), fontsize=8,
                            xytext=(3, -10), textcoords="offset points")
        _keep_inside(ax, label, renderer)
        box = label.get_window_extent(renderer)
        for other, layers in placed:
            if box.overlaps(other.get_window_extent(renderer)):
                label.remove()
                layers.append(layer)
                other.set_text(", ".join(names.get(k, f"L{k}") for k in layers))
                _keep_inside(ax, other, renderer)
                break
        else:
            placed.append((label, [layer]))


def _keep_inside(ax: Axes, label: Any, renderer: Any) -> None:
    """Put ``label`` left of its point if it would cross the axes' right edge."""
    if label.get_window_extent(renderer).x1 > ax.get_window_extent(renderer).x1:
        label.set_position((-3, -10))
        label.set_horizontalalignment("right")
