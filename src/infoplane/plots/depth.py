"""Training time against depth (the paper's Figure 5 and claim 4)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes


def plot_depth(
    fit: pd.DataFrame,
    durations: pd.DataFrame,
    *,
    axes: Sequence[Axes] | None = None,
    max_epoch: float | None = None,
) -> Sequence[Axes]:
    """Training time against depth, then each layer's compression time.

    Panels, left to right: when ``fit`` has ``error_epoch`` (claim 4's measure in
    ``reproduce``), the epochs until the training error falls below its level, with
    the 95% interval over seeds (``error_epoch_ci_low``/``_high``) as error bars; the
    epochs until the last hidden layer reaches 95% of I(X;Y); each layer's compression
    time.

    Parameters
    ----------
    fit : DataFrame
        One row per depth: ``depth``, ``fit_epoch`` (seed-averaged curve),
        ``fit_median``, ``fit_q25``, ``fit_q75`` (epochs; inf = not reached);
        optionally ``error_epoch``, ``error_epoch_ci_low``, ``error_epoch_ci_high``
        (epochs; inf = not reached) and ``error_level`` (a fraction, default 0.1).
    durations : DataFrame
        One row per (depth, layer): ``depth``, ``layer``, ``compression_time``
        (epochs; NaN = no compression).
    axes : Axes, optional
        Three when ``fit`` has ``error_epoch``, else two.
    max_epoch : float, optional
        The training length; fits not reached are drawn as open triangles there.

    Raises
    ------
    ValueError
        If ``axes`` has not one Axes a panel.
    """
    with_error = "error_epoch" in fit.columns
    panels = 3 if with_error else 2
    if axes is None:
        _, axes = plt.subplots(1, panels, figsize=(5 * panels, 4))
    if len(axes) != panels:
        raise ValueError(f"plot_depth draws {panels} panels, got {len(axes)} axes")
    fit = fit.sort_values("depth")
    if with_error:
        _plot_error_epochs(fit, axes[0], max_epoch)
        axes = axes[1:]
    ax = axes[0]
    top = max_epoch if max_epoch is not None else _finite_max(fit[["fit_q75", "fit_epoch"]])
    depth = fit["depth"].to_numpy()
    med = fit["fit_median"].to_numpy(dtype=float)
    q25, q75 = fit["fit_q25"].to_numpy(dtype=float), fit["fit_q75"].to_numpy(dtype=float)
    shown = np.where(np.isfinite(med), med, top)
    lo = np.clip(shown - np.where(np.isfinite(q25), q25, top), 0, None)
    hi = np.clip(np.where(np.isfinite(q75), q75, top) - shown, 0, None)
    reached = np.isfinite(med)
    ax.errorbar(
        depth[reached],
        np.maximum(shown[reached], 1),
        yerr=[lo[reached], hi[reached]],
        fmt="o-",
        color="C0",
        capsize=3,
        label="median of seeds (IQR)",
    )
    if (~reached).any():
        ax.scatter(
            depth[~reached],
            np.full((~reached).sum(), max(top, 1)),
            marker="^",
            facecolors="none",
            edgecolors="C3",
            s=60,
            label="not reached",
        )
    mean = fit["fit_epoch"].to_numpy(dtype=float)
    ok = np.isfinite(mean)
    ax.scatter(
        depth[ok],
        np.maximum(mean[ok], 1),
        marker="x",
        color="k",
        s=25,
        zorder=3,
        label="seed-averaged curve",
    )
    ax.set_yscale("log")
    ax.set_xticks(depth)
    ax.set_xlabel("hidden layers")
    ax.set_ylabel("epochs (0 shown at 1)")
    ax.set_title("epochs until the last hidden layer\nreaches 95% of I(X;Y)")
    ax.legend(fontsize=7)

    ax = axes[1]
    depths = sorted(durations["depth"].unique())
    colors = plt.get_cmap("plasma")(np.linspace(0, 0.85, len(depths)))
    for color, d in zip(colors, depths, strict=True):
        rows = durations[durations["depth"] == d].sort_values("layer")
        ax.plot(
            rows["layer"], rows["compression_time"], "o-", color=color, ms=4, label=f"{d} hidden"
        )
    ax.set_yscale("log")
    ax.set_xlabel("layer (the last is the output)")
    ax.set_ylabel("epochs")
    ax.set_title("compression time per layer\n(I(X;T) peak to 90% of its fall)")
    ax.legend(fontsize=7, ncol=2)
    return axes


def _plot_error_epochs(fit: pd.DataFrame, ax: Axes, max_epoch: float | None) -> None:
    """Epochs until the training error falls below its level, 95% interval over seeds."""
    level = float(fit["error_level"].iloc[0]) if "error_level" in fit.columns else 0.1
    depth = fit["depth"].to_numpy()
    value = fit["error_epoch"].to_numpy(dtype=float)
    low = fit.get("error_epoch_ci_low", fit["error_epoch"]).to_numpy(dtype=float)
    high = fit.get("error_epoch_ci_high", fit["error_epoch"]).to_numpy(dtype=float)
    top = max_epoch if max_epoch is not None else _finite_max(fit[["error_epoch"]])
    reached = np.isfinite(value)
    shown = np.maximum(value[reached], 1)
    ax.errorbar(
        depth[reached],
        shown,
        yerr=[
            np.clip(shown - np.maximum(low[reached], 1), 0, None),
            np.clip(np.where(np.isfinite(high[reached]), high[reached], top) - shown, 0, None),
        ],
        fmt="s-",
        color="C2",
        capsize=3,
        label="seed-mean curve (95% interval over seeds)",
    )
    if (~reached).any():
        ax.scatter(depth[~reached], np.full((~reached).sum(), max(top, 1)), marker="^",
                   facecolors="none", edgecolors="C3", s=60, label="not reached")
    ax.set_yscale("log")
    ax.set_xticks(depth)
    ax.set_xlabel("hidden layers")
    ax.set_ylabel("epochs")
    ax.set_title(f"epochs until the training error\nfalls below {100 * level:g}%")
    ax.legend(fontsize=7)


def _finite_max(df: pd.DataFrame) -> float:
    values = df.to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    return float(values.max()) if values.size else 1.0
