"""Figures: one module a figure; each ``plot_x(df, *, ax=None)`` returns its Axes.

Plot functions read the tables they are given, never files, and never call
``plt.show()``. :func:`write_run_figures` draws a run's figures into its directory.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display needed

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from infoplane.plots.information_plane import plot_information_plane  # noqa: E402
from infoplane.plots.snr import plot_snr  # noqa: E402
from infoplane.plots.training import plot_training  # noqa: E402

DPI = 120


def save(fig: plt.Figure, path: Path) -> Path:
    """Save ``fig`` to ``path`` atomically and close it."""
    from infoplane.store import _atomic

    try:
        _atomic(path, lambda tmp: fig.savefig(tmp, dpi=DPI, bbox_inches="tight", format="png"))
    finally:
        plt.close(fig)
    return path


def write_ib_figure(curve: pd.DataFrame, layers: pd.DataFrame, path: Path) -> Path:
    """Draw the IB bound and the layers on it (Figure 6) into ``path``."""
    from infoplane.plots.ib_bound import plot_ib_bound

    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    plot_ib_bound(curve, layers, ax=ax)
    return save(fig, Path(path))


def write_run_figures(
    run_dir: str | Path,
    information: pd.DataFrame,
    training: pd.DataFrame,
    gradients: pd.DataFrame,
    *,
    estimators: Sequence[str] = (),
) -> list[Path]:
    """Draw a run's figures into ``run_dir``; returns their paths.

    One information plane per estimator: ``information_plane.png`` for the first,
    ``information_plane_<name>.png`` for the others; plus ``snr.png`` and
    ``training.png``. The estimators come in the order of ``estimators`` (the run's
    config), then in the order they first appear in ``information``.
    """
    run_dir = Path(run_dir)
    paths = []
    present = dict.fromkeys(information["estimator"])
    order = [name for name in estimators if name in present] + list(present)
    for k, name in enumerate(dict.fromkeys(order)):
        fig, ax = plt.subplots(figsize=(6.4, 4.8))
        plot_information_plane(information, estimator=name, ax=ax)
        stem = "information_plane" if k == 0 else f"information_plane_{name}"
        paths.append(save(fig, run_dir / f"{stem}.png"))
    if len(gradients):  # a monitor run without after_backward() has none
        fig, ax = plt.subplots(figsize=(6.4, 4.8))
        plot_snr(gradients, ax=ax)
        paths.append(save(fig, run_dir / "snr.png"))
    if len(training):  # a monitor run given no metrics has none: no empty figure
        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
        plot_training(training, axes=axes)
        paths.append(save(fig, run_dir / "training.png"))
    return paths


__all__ = [
    "plot_information_plane",
    "plot_snr",
    "plot_training",
    "save",
    "write_ib_figure",
    "write_run_figures",
]
