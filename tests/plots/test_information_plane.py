"""The information-plane figure: layer labels readable when layers coincide."""

import itertools

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from infoplane.plots import plot_information_plane


def _table(points: dict[int, tuple[float, float]]) -> pd.DataFrame:
    rows = [
        {"seed": 0, "epoch": epoch, "layer": layer, "estimator": "binning",
         "ixt": ixt - (0 if epoch else 0.5), "ity": ity}
        for epoch in (0, 10) for layer, (ixt, ity) in points.items()
    ]
    return pd.DataFrame(rows)


def _labels(ax) -> dict[str, object]:
    renderer = ax.figure.canvas.get_renderer()
    return {t.get_text(): t.get_window_extent(renderer) for t in ax.texts}


@pytest.mark.parametrize("colorbar", [True, False])
def test_coinciding_layers_share_one_label_and_no_labels_overlap(colorbar):
    # L1 and L2 at the same point (I(X;T) = H(X) = 12 bits), L3 close below them
    table = _table({1: (12.0, 1.0), 2: (12.0, 1.0), 3: (11.0, 0.6), 4: (6.0, 0.4),
                    5: (2.0, 0.1)})
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    plot_information_plane(table, ax=ax, colorbar=colorbar)
    labels = _labels(ax)
    plt.close(fig)
    assert set(labels) == {"L1, L2", "L3", "L4", "L5"}
    for a, b in itertools.combinations(labels.values(), 2):
        assert not a.overlaps(b)


def test_separate_layers_keep_their_own_labels():
    table = _table({1: (12.0, 1.0), 2: (9.0, 0.8), 3: (5.0, 0.5)})
    fig, ax = plt.subplots()
    plot_information_plane(table, ax=ax)
    labels = _labels(ax)
    axes_box = ax.get_window_extent(ax.figure.canvas.get_renderer())
    plt.close(fig)
    assert set(labels) == {"L1", "L2", "L3"}
    assert all(box.x1 <= axes_box.x1 for box in labels.values())  # none into the colorbar


def test_a_monitor_run_labels_its_layers_by_name():
    table = _table({1: (12.0, 1.0), 2: (9.0, 0.8), 3: (5.0, 0.5)})
    table["layer_name"] = table["layer"].map({1: "act1", 2: "act2", 3: "output"})
    fig, ax = plt.subplots()
    plot_information_plane(table, ax=ax)
    labels, title = _labels(ax), ax.get_title()
    plt.close(fig)
    assert set(labels) == {"act1", "act2", "output"}
    assert "1 seed)" in title
