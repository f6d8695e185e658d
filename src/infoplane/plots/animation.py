"""The information plane animated over the epochs (a GIF of the paper's Figure 3)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.animation import FuncAnimation, PillowWriter
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from infoplane.plots.information_plane import seed_mean


def animate_information_plane(
    information: pd.DataFrame,
    *,
    estimator: str | None = None,
    max_frames: int = 120,
    fig: Figure | None = None,
    title: str | None = None,
) -> FuncAnimation:
    """An animation: frame k shows the seed-averaged layers up to the k-th logged epoch.

    Each layer leaves its trail coloured by epoch (log scale, as in the static figure)
    and the current epoch's layers are joined by a line. At most ``max_frames`` frames,
    evenly spread over the logged epochs (the last epoch is always a frame). Save it
    with :func:`write_information_plane_gif` or ``animation.save``; ``fig`` (default: a
    new 5.6 x 4.2 inch figure) is drawn on.
    """
    if fig is None:
        fig = plt.figure(figsize=(5.6, 4.2))
    draw, frames = _frame_drawer(
        information, fig, estimator=estimator, max_frames=max_frames, title=title
    )
    return FuncAnimation(fig, draw, frames=list(frames), blit=False)


def _frame_drawer(
    information: pd.DataFrame,
    fig: Figure,
    *,
    estimator: str | None,
    max_frames: int,
    title: str | None = None,
) -> tuple[Callable[[int], tuple], np.ndarray]:
    """Set up ``fig`` and return (draw(epoch), the epochs to draw)."""
    if estimator is None:
        estimator = str(information["estimator"].iloc[0])
    mean = seed_mean(information, estimator)
    epochs = np.unique(mean["epoch"].to_numpy())
    picks = np.round(np.linspace(0, epochs.size - 1, min(max_frames, epochs.size)))
    frames = epochs[np.unique(picks.astype(int))]
    ax = fig.add_subplot()
    cmap = plt.get_cmap("gnuplot")
    norm = LogNorm(vmin=1, vmax=max(int(epochs.max()), 2))
    pad_x = 0.03 * max(mean["ixt"].max() - mean["ixt"].min(), 1.0)
    pad_y = 0.03 * max(mean["ity"].max() - mean["ity"].min(), 0.1)
    ax.set_xlim(mean["ixt"].min() - pad_x, mean["ixt"].max() + pad_x)
    ax.set_ylim(mean["ity"].min() - pad_y, mean["ity"].max() + pad_y)
    ax.set_xlabel("I(X;T) (bits)")
    ax.set_ylabel("I(T;Y) (bits)")
    n_seeds = information["seed"].nunique()
    base = title or f"information plane ({estimator}, mean of {n_seeds} seeds)"
    fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, label="epochs")
    trail = ax.scatter([], [], c=[], s=10, cmap=cmap, norm=norm, edgecolors="none")
    (current,) = ax.plot([], [], "k-o", lw=1.0, ms=4)
    ax.set_title(f"{base}\nepoch {int(epochs.max())}", fontsize=10)  # room for the title
    fig.tight_layout()

    def draw(epoch: int) -> tuple:
        seen = mean[mean["epoch"] <= epoch]
        trail.set_offsets(seen[["ixt", "ity"]].to_numpy())
        trail.set_array(np.maximum(seen["epoch"].to_numpy(), 1))
        now = seen[seen["epoch"] == epoch].sort_values("layer")
        current.set_data(now["ixt"], now["ity"])
        ax.set_title(f"{base}\nepoch {int(epoch)}", fontsize=10)
        return trail, current

    return draw, frames


def write_information_plane_gif(
    information: pd.DataFrame,
    path: str | Path,
    *,
    estimator: str | None = None,
    max_frames: int = 120,
    fps: int = 10,
    dpi: int = 80,
) -> Path:
    """Write the animated information plane to the GIF ``path`` (Pillow), atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = plt.figure(figsize=(5.6, 4.2))
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".gif")
    os.close(fd)
    try:
        draw, frames = _frame_drawer(information, fig, estimator=estimator, max_frames=max_frames)
        writer = PillowWriter(fps=fps)
        with writer.saving(fig, tmp, dpi):
            for epoch in frames:  # one render a frame (Animation.save renders twice)
                draw(epoch)
                writer.grab_frame()
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # mkstemp makes 0600; use the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    finally:
        plt.close(fig)
    return path
