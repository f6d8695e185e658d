"""Epochs to fit, compression time and I(X;Y), for the depth experiment."""

import numpy as np
import pandas as pd
import pytest
from synthetic import information_peaking

from infoplane.analysis import (
    compression_duration_replicates,
    compression_durations,
    compression_replicates,
    epochs_to_fit,
    input_label_information,
    percentile_interval,
)


def test_label_information_of_known_distributions():
    assert input_label_information(np.eye(2)[[0, 1, 1, 0]]) == pytest.approx(1.0)
    assert input_label_information(np.eye(2)[[0, 0, 0, 1]]) == pytest.approx(0.811278, 1e-5)
    assert input_label_information(np.full((4, 2), 0.5)) == pytest.approx(0.0)
    p = np.array([[0.9, 0.1], [0.1, 0.9]])
    h = -(0.9 * np.log2(0.9) + 0.1 * np.log2(0.1))
    assert input_label_information(p) == pytest.approx(1 - h)


def test_epochs_to_fit_per_seed_and_not_reached():
    epochs = [0, 10, 100, 1000]
    rows = []
    for seed, ity in enumerate([[0.1, 0.96, 1, 1], [0.1, 0.5, 0.97, 1], [0.1, 0.2, 0.3, 0.5]]):
        rows.append(
            pd.DataFrame(
                {
                    "seed": seed,
                    "epoch": epochs,
                    "layer": 1,
                    "estimator": "binning",
                    "ixt": 5.0,
                    "ity": ity,
                }
            )
        )
    row = epochs_to_fit(pd.concat(rows), 1.0).iloc[0]
    assert row["n_reached"] == 2 and row["n_seeds"] == 3
    assert row["fit_median"] == 100  # 10, 100, inf
    assert np.isinf(row["fit_q75"])
    assert np.isinf(row["fit_epoch"])  # the seed mean ends at 0.83 < 0.95


def test_seed_mean_fit_reached():
    info = pd.DataFrame(
        {
            "seed": 0,
            "epoch": [0, 10, 100],
            "layer": 1,
            "estimator": "binning",
            "ixt": 5.0,
            "ity": [0.1, 0.94, 0.96],
        }
    )
    assert epochs_to_fit(info, 1.0)["fit_epoch"].iloc[0] == 100
    assert epochs_to_fit(info, 1.0, fraction=0.9)["fit_epoch"].iloc[0] == 10


def test_compression_time_from_peak_to_90_percent_of_the_fall():
    info = information_peaking({1: (100, 10.0, 8.0), 2: (1000, 9.0, 9.0)})
    table = compression_durations(info).set_index("layer")
    # linear fall from 10 at epoch 100 to 8 at 1000: 90% done (8.2) at epoch 910,
    # so the first logged epoch at or below it is 1000
    assert table.loc[1, "onset_epoch"] == 100 and table.loc[1, "end_epoch"] == 1000
    assert table.loc[1, "compression_time"] == 900
    assert table.loc[1, "compression_bits"] == pytest.approx(2.0)
    assert np.isnan(table.loc[2, "compression_time"]) and not table.loc[2, "compresses"]
    early = compression_durations(info, done=0.4).set_index("layer")
    assert early.loc[1, "end_epoch"] == 500  # 9.2 reached at 460: first logged is 500


def test_compression_time_replicates_pair_with_the_seeds():
    # seeds differ only by constant offsets: every resample has the same curve shape
    info = information_peaking({1: (100, 10.0, 8.0), 2: (1000, 9.0, 9.0)})
    reps = compression_duration_replicates(info, n_boot=50)
    one = reps[reps["layer"] == 1]
    assert (one["compression_time"] == 900).all() and one["compresses"].all()
    two = reps[reps["layer"] == 2]
    assert two["compression_time"].isna().all() and not two["compresses"].any()
    # the onsets are compression_replicates' (same resamples of the seeds)
    onsets = compression_replicates(info, n_boot=50)
    assert one["onset_epoch"].tolist() == onsets[onsets["layer"] == 1]["onset_epoch"].tolist()


def test_compression_time_interval_spans_the_seeds():
    # seed 0 compresses fast (peak at 10), seed 1 late (peak at 500), seed 2 not at all
    fast = information_peaking({1: (10, 10.0, 6.0)}, seeds=1)
    slow = information_peaking({1: (500, 10.0, 6.0)}, seeds=1).assign(seed=1)
    flat = information_peaking({1: (1000, 10.0, 10.0)}, seeds=1).assign(seed=2)
    info = pd.concat([fast, slow, flat], ignore_index=True)
    point = compression_durations(info).set_index("layer").loc[1, "compression_time"]
    reps = compression_duration_replicates(info, n_boot=400)["compression_time"]
    low, high = percentile_interval(reps)
    assert low <= point < high == np.inf  # resamples of only the flat seed: no compression
    assert reps.isna().any() and (reps.dropna() > 0).all()
    assert reps.dropna().nunique() > 1  # the fast seed alone: 990 epochs, the slow: 500
    assert {500.0, 990.0} <= set(reps.dropna())
