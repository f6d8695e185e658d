"""The drift-to-diffusion transition on SNR curves with a known crossing."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from synthetic import gradients_crossing

from infoplane.analysis import crossing_epoch, drift_diffusion_transition, snr_curves


@given(st.floats(5, 5000), st.floats(0.1, 3.0))
def test_power_law_crossing_is_found_exactly(c, slope):
    """log snr is linear in log epoch, so log-log interpolation is exact."""
    epochs = np.unique(np.round(np.geomspace(1, 10**4, 60)))
    snr = (c / epochs) ** slope
    assert crossing_epoch(epochs, snr) == pytest.approx(c, rel=1e-6)


def test_edge_cases():
    e = np.array([1.0, 10.0, 100.0])
    assert crossing_epoch(e, np.array([0.5, 0.4, 0.3])) == 1.0  # diffusion from the start
    assert np.isnan(crossing_epoch(e, np.array([3.0, 2.0, 1.5])))  # still drifting
    assert np.isnan(crossing_epoch(e, np.array([np.nan, np.nan, np.nan])))
    # falls below, comes back above, then falls for good: the last crossing counts
    e = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    assert crossing_epoch(e, np.array([2.0, 0.5, 2.0, 2.0, 0.5])) == pytest.approx(11.3137, 1e-4)
    # a late excursion above the threshold does not undo a clear transition
    assert crossing_epoch(e, np.array([2.0, 2.0, 0.5, 0.5, 1.2])) == pytest.approx(2.8284, 1e-4)
    # nor does an early dip below it
    assert crossing_epoch(e, np.array([0.9, 2.0, 2.0, 0.5, 0.5])) == pytest.approx(5.6569, 1e-4)


def test_constructed_snr_crossing_at_300_gives_300():
    grads = gradients_crossing({1: [300.0] * 4, 2: [40.0] * 4})
    table = drift_diffusion_transition(grads)
    row = table.set_index("layer")
    assert row.loc[1, "transition_epoch"] == pytest.approx(300, rel=0.03)
    assert row.loc[2, "transition_epoch"] == pytest.approx(40, rel=0.03)
    assert row.loc[1, "transition_std"] == pytest.approx(0, abs=1)
    assert (table["n_transitioned"] == 4).all() and (table["n_seeds"] == 4).all()


def test_noisy_curves_are_smoothed_and_the_spread_is_over_seeds():
    per_seed = [150.0, 212.0, 300.0, 424.0, 600.0]  # medians 300, quartiles 212 and 424
    # per-epoch noise of 30% on both norms; SNR falls as 1/epoch, as in real runs
    grads = gradients_crossing({1: per_seed}, slope=1.0, noise=0.3, seed=3)
    row = drift_diffusion_transition(grads).iloc[0]
    assert row["transition_median"] == pytest.approx(300, rel=0.15)
    assert row["transition_q25"] == pytest.approx(212, rel=0.15)
    assert row["transition_q75"] == pytest.approx(424, rel=0.15)
    # the seed-averaged curve crosses near the middle seed
    assert 212 < row["transition_epoch"] < 424


def test_weight_norm_cancels_in_the_ratio():
    grads = gradients_crossing({1: [300.0, 300.0]})
    scaled = grads.assign(
        grad_mean_norm=grads.grad_mean_norm * 7,
        grad_std_norm=grads.grad_std_norm * 7,
        weight_norm=grads.weight_norm * 7,
    )
    a = drift_diffusion_transition(grads)["transition_epoch"].iloc[0]
    b = drift_diffusion_transition(scaled)["transition_epoch"].iloc[0]
    assert a == pytest.approx(b)


def test_snr_curves_columns():
    grads = gradients_crossing({1: [300.0], 2: [50.0]}, epochs=100)
    curves = snr_curves(grads)
    assert list(curves.columns) == ["layer", "epoch", "mean", "std", "snr"]
    per_seed = snr_curves(grads, per_seed=True)
    assert list(per_seed.columns) == ["seed", "layer", "epoch", "mean", "std", "snr"]
    assert np.allclose(curves["snr"], curves["mean"] / curves["std"])
