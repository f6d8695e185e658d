"""The figures added for the reproduction: snapshots (Fig. 2), depth (Fig. 5), the GIF."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from infoplane.plots.animation import write_information_plane_gif
from infoplane.plots.depth import plot_depth
from infoplane.plots.snapshots import nearest_logged_epoch, plot_layer_snapshot


def _information(seeds=3, epochs=(0, 1, 3, 10, 30, 100, 400, 1000)):
    rng = np.random.default_rng(0)
    rows = [
        {
            "seed": s,
            "epoch": e,
            "layer": layer,
            "estimator": "binning",
            "ixt": 12 - 2 * layer + rng.normal(0, 0.1),
            "ity": 1 - 0.15 * layer,
        }
        for s in range(seeds)
        for e in epochs
        for layer in range(1, 5)
    ]
    return pd.DataFrame(rows)


def test_snapshot_shows_every_seed_and_layer():
    info = _information()
    assert nearest_logged_epoch(info, 400) == 400
    assert nearest_logged_epoch(info, 500) == 400
    fig, ax = plt.subplots()
    plot_layer_snapshot(info, 400, ax=ax)
    points = sum(len(c.get_offsets()) for c in ax.collections)
    assert points == 3 * 4  # seeds x layers
    assert len(ax.lines) == 3  # one line a network
    assert ax.get_title() == "epoch 400"
    plt.close(fig)


def test_depth_figure_marks_unreached_fits():
    fit = pd.DataFrame(
        {
            "depth": [1, 2, 3],
            "fit_epoch": [100.0, 50.0, np.inf],
            "fit_median": [120.0, 40.0, np.inf],
            "fit_q25": [90.0, 30.0, 200.0],
            "fit_q75": [150.0, 60.0, np.inf],
        }
    )
    durations = pd.DataFrame(
        {
            "depth": [1, 1, 2, 2, 2],
            "layer": [1, 2, 1, 2, 3],
            "compression_time": [500.0, np.nan, 300.0, 200.0, 100.0],
        }
    )
    fig, axes = plt.subplots(1, 2)
    plot_depth(fit, durations, axes=axes, max_epoch=1000)
    legend = [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert "not reached" in legend
    assert len(axes[1].lines) == 2  # one line a network
    plt.close(fig)


def test_gif_has_one_frame_a_logged_epoch(tmp_path):
    path = write_information_plane_gif(_information(), tmp_path / "plane.gif", max_frames=5)
    with Image.open(path) as gif:
        assert gif.n_frames == 5
    assert [p.name for p in tmp_path.iterdir()] == ["plane.gif"]  # no temporary file left


def test_depth_figure_shows_the_verdicts_error_epochs_with_intervals():
    fit = pd.DataFrame(
        {
            "depth": [2, 1, 3],
            "fit_epoch": [50.0, 100.0, 20.0],
            "fit_median": [40.0, 120.0, 20.0],
            "fit_q25": [30.0, 90.0, 10.0],
            "fit_q75": [60.0, 150.0, 30.0],
            "error_epoch": [200.0, 500.0, np.inf],
            "error_epoch_ci_low": [150.0, 420.0, 900.0],
            "error_epoch_ci_high": [260.0, 600.0, np.inf],
            "error_level": 0.1,
        }
    )
    durations = pd.DataFrame({"depth": [1], "layer": [1], "compression_time": [300.0]})
    fig, axes = plt.subplots(1, 3)
    plot_depth(fit, durations, axes=axes, max_epoch=1000)
    ax = axes[0]
    assert ax.get_title() == "epochs until the training error\nfalls below 10%"
    line = ax.lines[0]
    assert list(line.get_xdata()) == [1, 2]  # sorted by depth, the unreached one apart
    assert list(line.get_ydata()) == [500.0, 200.0]
    bars = ax.collections[0].get_segments()  # the 95% intervals
    assert [(s[0][1], s[1][1]) for s in bars] == [(420.0, 600.0), (150.0, 260.0)]
    assert "not reached" in [t.get_text() for t in ax.get_legend().get_texts()]
    with pytest.raises(ValueError, match="3 panels, got 2"):
        plot_depth(fit, durations, axes=axes[:2])
    plt.close(fig)
