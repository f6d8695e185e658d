"""The IB bound figure (Shwartz-Ziv & Tishby 2017, Figure 6): renders the expected artists."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.container import ErrorbarContainer  # noqa: E402

from infoplane import InfoplaneError  # noqa: E402
from infoplane.plots.ib_bound import layer_summary, plot_ib_bound  # noqa: E402


@pytest.fixture
def curve():
    ixt = np.array([0.0, 0.5, 1.0, 2.0, 4.0, 12.0])
    ity = np.array([0.0, 0.4, 0.6, 0.7, 0.74, 0.75])
    return pd.DataFrame({"beta": [0.0, 1.5, 3.0, 10.0, 50.0, np.inf], "ixt": ixt, "ity": ity})


@pytest.fixture
def layers():
    rng = np.random.default_rng(0)
    rows = []
    for seed in range(3):
        for epoch in (10, 100):
            for layer in range(1, 5):
                rows.append(
                    {
                        "seed": seed,
                        "epoch": epoch,
                        "layer": layer,
                        "ixt": 12.0 / layer + 0.1 * rng.standard_normal(),
                        "ity": 0.7 - 0.02 * layer + 0.005 * rng.standard_normal(),
                        "gap": 0.01,
                        "beta": 10.0 * (5 - layer) + seed,
                    }
                )
    return pd.DataFrame(rows)


def test_draws_curve_ixy_and_last_epoch_layers(curve, layers):
    fig, ax = plt.subplots()
    out = plot_ib_bound(curve, layers, ax=ax, title="fig 6")
    assert out is ax
    labels = [line.get_label() for line in ax.get_lines()]
    assert "IB bound" in labels
    bound = ax.get_lines()[labels.index("IB bound")]
    np.testing.assert_allclose(bound.get_xdata(), curve["ixt"])
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert len(dashed) == 1 and np.allclose(dashed[0].get_ydata(), 0.75)
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(bars) == 4  # one point a layer, both error bars
    assert all(c.has_xerr and c.has_yerr for c in bars)
    last = layers[layers["epoch"] == 100]
    means = last.groupby("layer")[["ixt", "ity"]].mean()
    points = np.array([c.lines[0].get_xydata()[0] for c in bars])
    np.testing.assert_allclose(points, means.to_numpy())
    labels = [c.get_label() for c in bars]
    medians = last.groupby("layer")["beta"].median()
    assert labels == [f"layer {k} (β*={b:.3g})" for k, b in medians.items()]
    assert ax.get_xlabel() == "I(X;T) (bits)" and ax.get_ylabel() == "I(T;Y) (bits)"
    assert ax.get_title() == "fig 6"
    plt.close(fig)


def test_renders_to_png(tmp_path, curve, layers):
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    plot_ib_bound(curve, layers, ax=ax)
    assert "epoch 100" in ax.get_title() and "3 seeds" in ax.get_title()
    path = tmp_path / "ib_bound.png"
    fig.savefig(path, dpi=80)
    plt.close(fig)
    assert path.stat().st_size > 5_000


def test_empty_layers_draw_the_curve_only(curve, layers):
    fig, ax = plt.subplots()
    plot_ib_bound(curve, layers.iloc[:0], ax=ax)
    assert not ax.containers and not ax.texts
    assert ax.get_title() == "IB bound"
    plt.close(fig)


def test_undefined_beta_is_marked(curve, layers):
    layers = layers.assign(beta=np.nan)
    fig, ax = plt.subplots()
    plot_ib_bound(curve, layers, ax=ax)
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert bars and all(c.get_label().endswith("(β* n/a)") for c in bars)
    plt.close(fig)


def test_single_seed_has_zero_error_bars(layers):
    summary = layer_summary(layers[layers["seed"] == 0])
    assert (summary["ixt_std"] == 0).all() and (summary["n_seeds"] == 1).all()


def test_missing_columns_raise_a_user_error(curve, layers):
    with pytest.raises(InfoplaneError, match="gap"):
        plot_ib_bound(curve, layers.drop(columns="gap"))
    with pytest.raises(InfoplaneError, match="beta"):
        plot_ib_bound(curve.drop(columns="beta"), layers)
