"""The transition and compression onset side by side (claim 2's table)."""

import numpy as np
import pandas as pd
import pytest
from synthetic import gradients_crossing, information_peaking

from infoplane.analysis import phases_table


@pytest.fixture
def tables():
    # layers 1-2 hidden, 3 the output; transitions at 300, 100, 50
    grads = gradients_crossing({1: [300.0] * 3, 2: [100.0] * 3, 3: [50.0] * 3}, epochs=1000)
    info = information_peaking(
        {1: (1000, 12.0, 12.0), 2: (200, 9.0, 7.0), 3: (100, 3.0, 2.0)},
        epochs=(0, 1, 2, 5, 10, 20, 50, 100, 200, 300, 500, 1000),
    )
    epochs = np.unique(info["epoch"])
    training = pd.DataFrame(
        {
            "seed": 0,
            "epoch": epochs,
            "train_loss": 0.5,
            "test_loss": 0.5,
            "train_accuracy": np.linspace(0.5, 1.0, epochs.size),
            "test_accuracy": 0.9,
        }
    )
    return info, grads, training


def test_transition_beside_onset(tables):
    info, grads, training = tables
    table = phases_table(info, grads, training).set_index("layer")
    assert list(table.index) == [1, 2, 3]
    assert table["hidden"].tolist() == [True, True, False]
    assert table.loc[1, "transition_epoch"] == pytest.approx(300, rel=0.03)
    assert table.loc[2, "transition_epoch"] == pytest.approx(100, rel=0.03)
    assert table.loc[2, "onset_epoch"] == 200
    assert table.loc[2, "onset_octaves"] == pytest.approx(1.0, abs=0.05)  # twice the transition
    assert np.isnan(table.loc[1, "onset_octaves"])  # layer 1 does not compress
    assert not table.loc[1, "compresses"] and table.loc[2, "compresses"]
    assert table.loc[2, "compression_bits"] == pytest.approx(2.0)
    assert table.loc[2, "compression_fraction"] == pytest.approx(0.8)
    # training accuracy at the logged epoch nearest 100 (index 7 of 12)
    assert table.loc[2, "train_error_at_transition"] == pytest.approx(1 - (0.5 + 7 / 22))


def test_without_training_table(tables):
    info, grads, _ = tables
    table = phases_table(info, grads)
    assert "train_error_at_transition" not in table.columns
    assert {
        "transition_median",
        "transition_q25",
        "transition_q75",
        "onset_median",
        "compression_bits_q25",
        "compression_fraction_log",
    } <= set(table.columns)
