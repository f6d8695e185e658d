"""Every network's layers in the information plane at one epoch (the paper's Figure 2)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes


def nearest_logged_epoch(information: pd.DataFrame, epoch: float) -> int:
    """The logged epoch of ``information`` nearest ``epoch`` on a log axis."""
    logged = np.unique(information["epoch"].to_numpy())
    k = int(np.argmin(np.abs(np.log2(1.0 + logged) - np.log2(1.0 + epoch))))
    return int(logged[k])


def plot_layer_snapshot(
    information: pd.DataFrame,
    epoch: int,
    *,
    estimator: str | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    legend: bool = True,
) -> Axes:
    """Each seed's layers at ``epoch`` as points, one colour a layer.

    The layers of one network are joined by a thin grey line, so the ensemble's spread
    shows as a cloud around each layer, as in Shwartz-Ziv & Tishby (2017, Figure 2).
    ``epoch`` must be a logged epoch (see :func:`nearest_logged_epoch`).
    """
    if ax is None:
        ax = plt.gca()
    if estimator is None:
        estimator = str(information["estimator"].iloc[0])
    df = information[(information["estimator"] == estimator) & (information["epoch"] == epoch)]
    layers = sorted(information["layer"].unique())
    palette = plt.get_cmap("tab10")
    colors = {layer: palette(k % 10) for k, layer in enumerate(layers)}
    for _, net in df.sort_values("layer").groupby("seed"):
        ax.plot(net["ixt"], net["ity"], color="0.6", lw=0.3, alpha=0.5, zorder=1)
    for layer in layers:
        d = df[df["layer"] == layer]
        ax.scatter(
            d["ixt"],
            d["ity"],
            s=10,
            color=colors[layer],
            edgecolors="none",
            alpha=0.8,
            zorder=2,
            label=f"L{layer}",
        )
    ax.set_xlabel("I(X;T) (bits)")
    ax.set_ylabel("I(T;Y) (bits)")
    ax.set_title(title or f"epoch {epoch}")
    if legend:
        ax.legend(fontsize=6, loc="lower right", markerscale=1.6, ncol=2)
    return ax
