"""Compression onset and amount, and the fraction of epochs spent compressing."""

import numpy as np
import pandas as pd
import pytest
from synthetic import information_peaking

from infoplane.analysis import MIN_COMPRESSION_BITS, compression, phase_fractions


def test_peak_at_100_gives_onset_100_and_the_amount():
    info = information_peaking({1: (100, 10.0, 8.5), 2: (1000, 9.0, 9.0)})
    table = compression(info).set_index("layer")
    assert table.loc[1, "onset_epoch"] == 100
    assert table.loc[1, "peak_ixt"] == pytest.approx(10.0)
    assert table.loc[1, "final_ixt"] == pytest.approx(8.5)
    assert table.loc[1, "compression_bits"] == pytest.approx(1.5)
    assert table.loc[1, "compresses"]
    # every seed has the same shape, so the spread over seeds is nil
    assert table.loc[1, "onset_median"] == 100 and table.loc[1, "onset_q75"] == 100
    assert table.loc[1, "compression_bits_median"] == pytest.approx(1.5)
    assert table.loc[1, "compression_bits_std"] == pytest.approx(0.0, abs=1e-12)
    # a layer that rises to the end does not compress
    assert table.loc[2, "onset_epoch"] == 1000
    assert table.loc[2, "compression_bits"] == 0.0 and not table.loc[2, "compresses"]


def test_spread_over_seeds():
    a = information_peaking({1: (100, 10.0, 8.0)}, seeds=1)
    b = information_peaking({1: (500, 10.0, 9.0)}, seeds=1).assign(seed=1)
    c = information_peaking({1: (200, 10.0, 7.0)}, seeds=1).assign(seed=2)
    row = compression(pd.concat([a, b, c])).iloc[0]
    assert row["onset_median"] == 200
    assert row["compression_bits_median"] == pytest.approx(2.0)
    assert row["n_seeds"] == 3


def test_small_drops_are_not_compression():
    info = information_peaking({1: (100, 10.0, 10.0 - MIN_COMPRESSION_BITS / 2)})
    assert not compression(info)["compresses"].iloc[0]
    assert compression(info, min_bits=0.01)["compresses"].iloc[0]


def test_estimator_selection():
    info = pd.concat(
        [
            information_peaking({1: (100, 10.0, 8.0)}),
            information_peaking({1: (10, 5.0, 4.0)}, estimator="kde"),
        ]
    )
    assert compression(info)["onset_epoch"].iloc[0] == 100  # the first estimator
    assert compression(info, estimator="kde")["onset_epoch"].iloc[0] == 10
    with pytest.raises(ValueError, match="no rows for estimator"):
        compression(info, estimator="knn")


def test_fractions_count_epochs_after_the_peak():
    info = information_peaking({1: (100, 10.0, 8.5), 2: (1000, 9.0, 9.0), 3: (0, 9.0, 8.0)})
    table = phase_fractions(info).set_index("layer")
    assert table.loc[1, "compression_fraction"] == pytest.approx(0.9)
    assert table.loc[1, "fitting_epochs"] == 100 and table.loc[1, "compression_epochs"] == 900
    expected_log = (np.log2(1001) - np.log2(101)) / np.log2(1001)
    assert table.loc[1, "compression_fraction_log"] == pytest.approx(expected_log)
    assert table.loc[2, "compression_fraction"] == 0.0  # no compression: empty phase
    assert table.loc[2, "compression_fraction_log"] == 0.0
    assert table.loc[3, "compression_fraction"] == 1.0  # compresses from the start
    assert ((table["compression_fraction"] >= 0) & (table["compression_fraction"] <= 1)).all()
