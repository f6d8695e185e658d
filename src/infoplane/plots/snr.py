"""Gradient statistics over training (Shwartz-Ziv & Tishby 2017, Figure 4)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from infoplane.analysis import BINS_PER_OCTAVE, drift_diffusion_transition, snr_curves


def normalised_gradients(gradients: pd.DataFrame) -> pd.DataFrame:
    """Seed-averaged mean and std gradient norms, each divided by the weight norm."""
    df = gradients.assign(
        mean=gradients["grad_mean_norm"] / gradients["weight_norm"],
        std=gradients["grad_std_norm"] / gradients["weight_norm"],
    )
    return df.groupby(["layer", "epoch"], as_index=False)[["mean", "std"]].mean()


def plot_snr(
    gradients: pd.DataFrame,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    smooth: bool = True,
    bins_per_octave: int = BINS_PER_OCTAVE,
    transitions: bool = True,
) -> Axes:
    """Per layer, the norms of the gradients' mean (solid) and std (dashed) against epoch.

    Both are normalised by the layer's weight norm and averaged over seeds; log-log.
    Where the mean falls below the std, SGD passes from drift to diffusion.

    Parameters
    ----------
    gradients : DataFrame
        The run's ``gradients`` table.
    ax : Axes, optional
    title : str, optional
    smooth : bool, default True
        Average the curves over log-spaced epoch bins
        (:func:`infoplane.analysis.smooth_log_epochs`); False draws every epoch.
    bins_per_octave : int, default 4
        Resolution of the smoothing.
    transitions : bool, default True
        Mark each layer's drift-to-diffusion transition
        (:func:`infoplane.analysis.drift_diffusion_transition`) with a dotted
        vertical line in the layer's colour.
    """
    if ax is None:
        ax = plt.gca()
    if smooth:
        df = snr_curves(gradients, bins_per_octave=bins_per_octave)
    else:
        df = normalised_gradients(gradients)
    layers = sorted(df["layer"].unique())
    colors = plt.get_cmap("viridis")(np.linspace(0, 0.9, len(layers)))
    marks = {}
    if transitions and len(gradients):
        found = drift_diffusion_transition(gradients, bins_per_octave=bins_per_octave, n_boot=0)
        marks = dict(zip(found["layer"], found["transition_epoch"], strict=True))
    for color, layer in zip(colors, layers, strict=True):
        d = df[df["layer"] == layer]
        ax.plot(d["epoch"], d["mean"], color=color, lw=1.4, label=f"L{layer}")
        ax.plot(d["epoch"], d["std"], color=color, lw=1.0, ls="--")
        epoch = marks.get(layer, np.nan)
        if np.isfinite(epoch):
            ax.axvline(epoch, color=color, lw=0.9, ls=":", alpha=0.9)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("epochs")
    ax.set_ylabel("gradient norm / weight norm")
    ax.set_title(title or "gradient mean (solid) and std (dashed), mean of seeds")
    handles, _ = ax.get_legend_handles_labels()
    handles += [
        Line2D([], [], color="0.3", lw=1.4, label="mean"),
        Line2D([], [], color="0.3", lw=1.0, ls="--", label="std"),
    ]
    if marks:
        handles.append(Line2D([], [], color="0.3", lw=0.9, ls=":", label="transition"))
    ax.legend(handles=handles, fontsize=7, ncol=2, loc="lower left")
    return ax
