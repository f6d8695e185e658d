import numpy as np
import pandas as pd
import pytest
from synthetic import gradients_crossing, information_peaking

from infoplane.analysis import (
    compression,
    compression_replicates,
    decide,
    drift_diffusion_transition,
    percentile_interval,
    phases_replicates,
    phases_table,
    seed_resamples,
    transition_replicates,
)


def test_seed_resamples_are_reproducible_and_seeded():
    a = seed_resamples(7, n_boot=50, seed=3)
    assert a.shape == (50, 7)
    assert ((a >= 0) & (a < 7)).all()
    assert np.array_equal(a, seed_resamples(7, n_boot=50, seed=3))
    assert not np.array_equal(a, seed_resamples(7, n_boot=50, seed=4))


def test_percentile_interval_counts_nan_as_not_reached():
    assert percentile_interval(np.arange(1.0, 101.0), level=0.9) == (5.0, 96.0)
    low, high = percentile_interval(np.r_[np.ones(90), np.full(10, np.nan)])
    assert low == 1.0 and high == np.inf
    assert all(np.isnan(percentile_interval(np.array([]))))


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [(3.0, 4.0, True), (0.0, 2.5, False), (2.0, 3.0, None)],
)
def test_decide_says_not_decided_when_the_interval_straddles(low, high, expected):
    assert decide(low, high, 2.5) is expected


def test_identical_seeds_give_a_point_interval():
    info = information_peaking({1: (100, 10.0, 8.0)}, seeds=3)
    row = compression(info).iloc[0]
    # constant offsets between seeds: every resample has the same peak and fall
    assert row.compression_bits_ci_low == pytest.approx(2.0)
    assert row.compression_bits_ci_high == pytest.approx(2.0)
    assert row.onset_ci_low == row.onset_ci_high == 100


def test_compression_interval_covers_the_spread_of_seeds():
    a = information_peaking({1: (100, 10.0, 8.0)}, seeds=1)
    b = information_peaking({1: (100, 10.0, 6.0)}, seeds=1).assign(seed=1)
    row = compression(pd.concat([a, b])).iloc[0]
    assert row.compression_bits == pytest.approx(3.0)
    assert row.compression_bits_ci_low == pytest.approx(2.0)
    assert row.compression_bits_ci_high == pytest.approx(4.0)
    reps = compression_replicates(pd.concat([a, b]), n_boot=200)
    assert set(reps["compression_bits"].round(9)) == {2.0, 3.0, 4.0}


@pytest.mark.parametrize(("slope", "clear"), [(4.0, True), (0.5, False)])
def test_a_drop_is_clear_and_a_slow_decay_is_not(slope, clear):
    # SNR = (300 / epoch) ** slope: from 2 to 0.5 over a factor 4 ** (1 / slope)
    row = drift_diffusion_transition(
        gradients_crossing({1: [300.0] * 3}, slope=slope), n_boot=50
    ).iloc[0]
    assert row.transition_early < row.transition_epoch < row.transition_late
    assert row.band_octaves == pytest.approx(2 / slope, abs=0.3)
    assert bool(row.clear_transition) is clear


def test_a_layer_that_never_drifts_is_not_clear():
    row = drift_diffusion_transition(
        gradients_crossing({1: [0.5] * 2}, epochs=300), n_boot=20
    ).iloc[0]
    assert not row.clear_transition
    assert np.isnan(row.band_octaves)


def test_transition_interval_over_seeds():
    grads = gradients_crossing({1: [100.0, 400.0]}, slope=1.0)
    row = drift_diffusion_transition(grads, n_boot=300).iloc[0]
    assert 80 < row.transition_ci_low < 120
    assert 330 < row.transition_ci_high < 480
    assert row.transition_ci_low < row.transition_epoch < row.transition_ci_high
    reps = transition_replicates(grads, (1.0,), n_boot=300)
    assert len(reps) == 300 and reps["transition_epoch"].between(80, 480).all()


def test_phases_replicates_pair_onset_and_transition():
    info = information_peaking({1: (300, 10.0, 8.0), 2: (100, 5.0, 4.0)}, seeds=3,
                               epochs=tuple(range(0, 2001, 20)))
    grads = gradients_crossing({1: [300.0] * 3, 2: [300.0] * 3}, slope=2.0)
    reps = phases_replicates(info, grads, n_boot=40)
    assert len(reps) == 80
    first = reps[reps["layer"] == 1]
    assert first["hidden"].all() and not reps[reps["layer"] == 2]["hidden"].any()
    assert np.allclose(first["onset_octaves"], 0.0, atol=0.1)
    assert (first["onset_octaves_early"] > first["onset_octaves"]).all()
    assert (first["onset_octaves_late"] < first["onset_octaves"]).all()
    table = phases_table(info, grads)
    for column in ("transition_ci_low", "compression_bits_ci_high", "clear_transition"):
        assert column in table
