"""The loss and accuracy figure: a metric never measured leaves its panel marked so,
without a legend of nothing (matplotlib warned "No artists with labels")."""

import warnings

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from infoplane.plots.training import plot_training  # noqa: E402


def _training(accuracy: bool) -> pd.DataFrame:
    rows = []
    for seed in range(2):
        for epoch in (0, 1, 10):
            acc = 0.5 + 0.01 * epoch if accuracy else np.nan
            rows.append({"seed": seed, "epoch": epoch, "train_loss": 1.0 / (epoch + 1),
                         "test_loss": 1.1 / (epoch + 1), "train_accuracy": acc,
                         "test_accuracy": acc})
    return pd.DataFrame(rows)


def test_an_unmeasured_metric_is_said_so_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, accuracy = plot_training(_training(accuracy=False))
    assert [t.get_text() for t in accuracy.texts] == ["not measured"]
    assert accuracy.get_legend() is None
    assert [t.get_text() for t in loss.get_legend().get_texts()] == ["train", "test"]


def test_measured_metrics_get_their_legends():
    loss, accuracy = plot_training(_training(accuracy=True))
    for ax in (loss, accuracy):
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "test"]
        assert len(ax.texts) == 0
