"""Log-spaced epoch bins and the smoothing over them."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from infoplane.analysis import log_epoch_bins, smooth_log_epochs


def test_bins_are_log_spaced_with_epoch_zero_alone():
    bins = log_epoch_bins([0, 1, 2, 4, 8, 16], bins_per_octave=1)
    assert bins.tolist() == [-1, 0, 1, 2, 3, 4]
    late = log_epoch_bins(np.arange(1024, 2048), bins_per_octave=4)
    assert np.unique(late).size == 4  # one octave, four bins


@given(st.lists(st.integers(0, 10**5), min_size=1, max_size=50), st.integers(1, 8))
def test_bins_never_decrease_with_the_epoch(epochs, per_octave):
    epochs = np.sort(np.array(epochs))
    assert (np.diff(log_epoch_bins(epochs, bins_per_octave=per_octave)) >= 0).all()


def test_bad_arguments_raise():
    with pytest.raises(ValueError):
        log_epoch_bins([1, 2], bins_per_octave=0)
    with pytest.raises(ValueError):
        log_epoch_bins([-1, 2])


def test_smoothing_averages_within_bins_per_group():
    e = np.arange(0, 1001)
    df = pd.DataFrame(
        {
            "layer": np.repeat([1, 2], e.size),
            "epoch": np.tile(e, 2),
            "v": np.r_[np.full(e.size, 3.0), np.tile([0.0, 2.0], e.size)[: e.size]],
        }
    )
    out = smooth_log_epochs(df, ["v"], by=["layer"], bins_per_octave=2)
    assert list(out.columns) == ["layer", "epoch", "v"]
    one = out[out["layer"] == 1]
    assert np.allclose(one["v"], 3.0)  # a constant stays constant
    assert one["epoch"].iloc[0] == 0 and (np.diff(one["epoch"]) > 0).all()
    # epoch 0, then bins 0..19 (1000 < 2**10) but bin 1, [2**0.5, 2), holds no integer
    assert len(one) == 1 + 20 - 1
    two = out[(out["layer"] == 2) & (out["epoch"] > 100)]
    assert np.allclose(two["v"], 1.0, atol=0.05)  # alternating 0/2 averages to 1


def test_bin_epoch_is_the_geometric_mean():
    df = pd.DataFrame({"epoch": [4, 5, 6, 7], "v": 1.0})
    out = smooth_log_epochs(df, ["v"], bins_per_octave=1)
    assert out["epoch"].iloc[0] == pytest.approx((4 * 5 * 6 * 7) ** 0.25)
