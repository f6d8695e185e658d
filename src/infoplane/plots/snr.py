"""Gradient statistics over training (Shwartz-Ziv & Tishby 2017, Figure 4)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes


def normalised_gradients(gradients: pd.DataFrame) -> pd.DataFrame:
    """Seed-averaged mean and std gradient norms, each divided by the weight norm."""
    df = gradients.assign(
        mean=gradients["grad_mean_norm"] / gradients["weight_norm"],
        std=gradients["grad_std_norm"] / gradients["weight_norm"],
    )
    return df.groupby(["layer", "epoch"], as_index=False)[["mean", "std"]].mean()


def plot_snr(gradients: pd.DataFrame, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Per layer, the norms of the gradients' mean (solid) and std (dashed) against epoch.

    Both are normalised by the layer's weight norm and averaged over seeds; log-log.
    Where the mean falls below the std, SGD passes from drift to diffusion.
    """
    if ax is None:
        ax = plt.gca()
    df = normalised_gradients(gradients)
    layers = sorted(df["layer"].unique())
    colors = plt.get_cmap("viridis")(np.linspace(0, 0.9, len(layers)))
    for color, layer in zip(colors, layers, strict=True):
        d = df[df["layer"] == layer]
        ax.plot(d["epoch"], d["mean"], color=color, lw=1.2, label=f"L{layer} mean")
        ax.plot(d["epoch"], d["std"], color=color, lw=1.0, ls="--", label=f"L{layer} std")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("epochs")
    ax.set_ylabel("gradient norm / weight norm")
    ax.set_title(title or "gradient mean (solid) and std (dashed), mean of seeds")
    ax.legend(fontsize=6, ncol=2, loc="lower left")
    return ax
