"""The report's figures, composed from the plot functions of :mod:`infoplane.plots`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm

from infoplane.plots import (
    plot_information_plane,
    plot_snr,
    plot_training,
    save,
    write_ib_figure,
)
from infoplane.plots.depth import plot_depth
from infoplane.plots.snapshots import nearest_logged_epoch, plot_layer_snapshot


def _epoch_colorbar(fig: plt.Figure, axes: np.ndarray, max_epoch: float) -> None:
    """One shared colour bar of the epochs, matching plot_information_plane's colours."""
    norm = LogNorm(vmin=1, vmax=max(int(max_epoch), 2))
    fig.colorbar(
        plt.cm.ScalarMappable(norm=norm, cmap=plt.get_cmap("gnuplot")),
        ax=list(np.ravel(axes)),
        label="epochs",
        shrink=0.9,
    )


def information_planes(
    panels: Mapping[str, pd.DataFrame],
    path: Path,
    *,
    estimators: Mapping[str, str] | None = None,
    ncols: int | None = None,
) -> Path:
    """Information planes side by side, one a panel (title -> information table)."""
    n = len(panels)
    ncols = ncols or n
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(4.2 * ncols + 1, 3.6 * nrows), squeeze=False, layout="constrained"
    )
    max_epoch = 1
    for ax, (title, info) in zip(axes.ravel(), panels.items(), strict=False):
        estimator = (estimators or {}).get(title)
        plot_information_plane(info, estimator=estimator, ax=ax, colorbar=False, title=title)
        ax.title.set_fontsize(9)
        max_epoch = max(max_epoch, int(info["epoch"].max()))
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    _epoch_colorbar(fig, axes, max_epoch)
    return save(fig, path)


def layer_snapshots(sizes: Mapping[str, pd.DataFrame], middle_epoch: int, path: Path) -> Path:
    """Figure 2: rows are training-set sizes; columns are start, ~``middle_epoch``, end."""
    fig, axes = plt.subplots(
        len(sizes), 3, figsize=(12, 3.3 * len(sizes)), squeeze=False, layout="constrained"
    )
    for row, (label, info) in zip(axes, sizes.items(), strict=True):
        last = int(info["epoch"].max())
        middle = nearest_logged_epoch(info, min(middle_epoch, max(last // 2, 1)))
        picks = [int(info["epoch"].min()), middle, last]
        x = (info["ixt"].min() - 0.3, info["ixt"].max() + 0.3)
        y = (min(info["ity"].min(), 0) - 0.03, info["ity"].max() + 0.03)
        for k, (ax, epoch) in enumerate(zip(row, picks, strict=True)):
            plot_layer_snapshot(info, epoch, ax=ax, legend=k == 2, title=f"{label}: epoch {epoch}")
            ax.set_xlim(*x)
            ax.set_ylim(*y)
            ax.title.set_fontsize(9)
    return save(fig, path)


def snr(gradients: pd.DataFrame, title: str, path: Path) -> Path:
    """Figure 4: the gradient mean and std with each layer's transition marked."""
    fig, ax = plt.subplots(figsize=(7.5, 5))
    plot_snr(gradients, ax=ax, title=title)
    return save(fig, path)


def training(table: pd.DataFrame, path: Path) -> Path:
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    plot_training(table, axes=axes)
    return save(fig, path)


def depth(fit: pd.DataFrame, durations: pd.DataFrame, max_epoch: float, path: Path) -> Path:
    panels = 3 if "error_epoch" in fit.columns else 2
    fig, axes = plt.subplots(1, panels, figsize=(5.5 * panels, 4), layout="constrained")
    plot_depth(fit, durations, axes=axes, max_epoch=max_epoch)
    return save(fig, path)


def ib_bound(curve: pd.DataFrame, layers: pd.DataFrame, path: Path) -> Path:
    """Figure 6: the IB bound and the layers on it."""
    return write_ib_figure(curve, layers, path)
