"""Loss and accuracy over training."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes


def plot_training(training: pd.DataFrame, *, axes: Sequence[Axes] | None = None) -> Sequence[Axes]:
    """Train/test loss (left) and accuracy (right) against epoch; mean and std of seeds.
    A metric with no value (e.g. accuracy of a model whose outputs are not class scores)
    leaves its panel empty, marked "not measured"."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 4))
    stats = training.groupby("epoch").agg(["mean", "std"])
    epochs = np.maximum(stats.index.to_numpy(), 1)
    for ax, metric in zip(axes, ("loss", "accuracy"), strict=True):
        for split, color in (("train", "C0"), ("test", "C1")):
            column = f"{split}_{metric}"
            mean, std = stats[(column, "mean")], stats[(column, "std")].fillna(0)
            if mean.isna().all():
                continue
            ax.plot(epochs, mean, color=color, label=split)
            ax.fill_between(epochs, mean - std, mean + std, color=color, alpha=0.2, lw=0)
        ax.set_xscale("log")
        ax.set_xlabel("epochs")
        ax.set_ylabel(f"{metric}" + (" (nats)" if metric == "loss" else ""))
        if ax.get_legend_handles_labels()[0]:
            ax.legend()
        else:
            ax.text(0.5, 0.5, "not measured", transform=ax.transAxes, ha="center",
                    va="center", color="0.4")
    axes[0].set_title("cross-entropy loss")
    axes[1].set_title("accuracy")
    return axes
