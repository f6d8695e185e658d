"""plot_snr: smoothed seed-mean curves and the transition marked per layer."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from infoplane.plots import plot_snr


def _gradients(crossings, epochs=1000):
    e = np.arange(1, epochs + 1)
    rows = []
    for layer, c in crossings.items():
        for seed in range(2):
            rows.append(
                pd.DataFrame(
                    {
                        "seed": seed,
                        "epoch": e,
                        "layer": layer,
                        "grad_mean_norm": np.sqrt(c / e),
                        "grad_std_norm": 1.0,
                        "weight_norm": 2.0,
                        "snr": np.sqrt(c / e),
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)


def _vertical_lines(ax):
    return [line for line in ax.lines if len(set(line.get_xdata())) == 1]


def test_transitions_are_marked_where_the_mean_crosses_the_std():
    fig, ax = plt.subplots()
    plot_snr(_gradients({1: 300.0, 2: 40.0}), ax=ax)
    marks = sorted(float(line.get_xdata()[0]) for line in _vertical_lines(ax))
    assert marks == [pytest.approx(40, rel=0.03), pytest.approx(300, rel=0.03)]
    # smoothed: far fewer points than the 1000 epochs
    curves = [line for line in ax.lines if line not in _vertical_lines(ax)]
    assert len(curves) == 4 and all(len(line.get_xdata()) < 60 for line in curves)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    plt.close(fig)


def test_raw_curves_without_marks():
    fig, ax = plt.subplots()
    plot_snr(_gradients({1: 300.0}), ax=ax, smooth=False, transitions=False, title="raw")
    assert _vertical_lines(ax) == []
    assert all(len(line.get_xdata()) == 1000 for line in ax.lines)
    assert ax.get_title() == "raw"
    plt.close(fig)


def test_no_transition_no_mark():
    fig, ax = plt.subplots()
    plot_snr(_gradients({1: 1e6}), ax=ax)  # still drifting at the end
    assert _vertical_lines(ax) == []
    plt.close(fig)
