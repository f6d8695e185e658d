"""Adaptive (equal-mass) binning: exact answers from the construction of the grid."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from infoplane import InfoplaneError, estimate_information
from infoplane.estimators import get_estimator
from infoplane.estimators.adaptive import adaptive_bin_indices


def entropy_bits(labels: np.ndarray) -> float:
    p = np.unique(labels, return_counts=True)[1] / labels.size
    return float(-(p * np.log2(p)).sum())


def test_bins_hold_equal_mass():
    rng = np.random.default_rng(0)
    T = rng.standard_normal((300, 2))  # 600 distinct values, 30 bins of 20
    idx = adaptive_bin_indices(T[None], bins=30)[0]
    assert np.bincount(idx.ravel(), minlength=30).tolist() == [20] * 30


def test_one_distinct_value_per_bin_gives_log2_n():
    T = np.exp(np.linspace(0, 20, 64))[:, None]  # any scale: quantiles follow the data
    assert estimate_information(T, np.arange(64) % 2, "adaptive", bins=64).ixt == pytest.approx(6)


def test_equal_mass_single_unit_gives_log2_bins():
    T = np.random.default_rng(1).standard_normal(30 * 7)
    est = estimate_information(T, np.zeros(T.size), "adaptive", bins=30)
    assert est.ixt == pytest.approx(np.log2(30))


def test_invariant_to_a_monotone_map_of_all_values():
    rng = np.random.default_rng(2)
    T, y = rng.standard_normal((200, 3)), rng.integers(0, 2, 200)
    a = estimate_information(T, y, "adaptive", bins=8)
    b = estimate_information(np.arctan(5 * T) ** 3, y, "adaptive", bins=8)
    assert (b.ixt, b.ity) == (a.ixt, a.ity)


def test_constant_layer_gives_zero():
    est = estimate_information(np.full((40, 2), 7.0), np.arange(40) % 2, "adaptive")
    assert (est.ixt, est.ity) == (0.0, 0.0)


def test_ties_are_never_split():
    T = np.zeros((100, 1))
    T[90:, 0] = np.arange(1.0, 11.0)  # 90 zeros (a ReLU layer), then 10 distinct values
    idx = adaptive_bin_indices(T[None], bins=10)[0, :, 0]
    assert np.unique(idx[:90]).size == 1  # all zeros share one bin
    # unique=True: 11 distinct levels into 10 bins, every bin used, at most 2 levels each
    idx_u = adaptive_bin_indices(T[None], bins=10, unique=True)[0, :, 0]
    _, first = np.unique(T[:, 0], return_index=True)
    levels_per_bin = np.bincount(idx_u[first], minlength=10)
    assert levels_per_bin.min() >= 1
    assert levels_per_bin.max() <= 2


def test_a_unit_equal_to_the_label_gives_h_y():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 100)
    assert estimate_information(y * 1.0, y, "adaptive", bins=2).ity == pytest.approx(
        entropy_bits(y)
    )


layers = st.integers(2, 40).flatmap(
    lambda n: st.tuples(
        arrays(np.float64, st.tuples(st.just(n), st.integers(1, 4)), elements=st.floats(-5, 5)),
        arrays(np.int64, n, elements=st.integers(0, 2)),
    )
)


@settings(max_examples=30, deadline=None)
@given(layers, st.sampled_from([2, 5, 30]), st.booleans())
def test_bounds(layer, bins, unique):
    T, y = layer
    est = estimate_information(T, y, "adaptive", bins=bins, unique=unique)
    tol = 1e-9
    assert -tol <= est.ity <= min(est.ixt, entropy_bits(y)) + tol
    assert 0.0 <= est.ixt <= np.log2(T.shape[0]) + tol


def test_many_matches_one_at_a_time():
    rng = np.random.default_rng(4)
    Ts = rng.standard_normal((3, 80, 4)) * np.array([0.1, 1.0, 10.0])[:, None, None]
    y = rng.integers(0, 3, 80)
    ixt, ity = get_estimator("adaptive").many(Ts, y, bins=6)
    for point, T in enumerate(Ts):
        est = estimate_information(T, y, "adaptive", bins=6)
        assert (ixt[point], ity[point]) == pytest.approx((est.ixt, est.ity))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"bins": 0}, "The 'bins' option of estimator 'adaptive' must be an int >= 1, got 0."),
        ({"bins": 2.5}, "'bins' option"),
        ({"unique": "yes"}, "'unique' option"),
    ],
)
def test_bad_options(options, message):
    with pytest.raises(InfoplaneError, match=re.escape(message)):
        estimate_information(np.zeros((4, 1)), [0, 1, 0, 1], "adaptive", **options)


@pytest.mark.parametrize("T", [[0.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 1.0]])
def test_two_distinct_values_and_two_bins_give_two_occupied_bins(T):
    # was 0.0 bits for [0, 1, 1, 1]: the heavy value fell in the first value's bin
    est = estimate_information(np.array(T), [0, 0, 1, 1], "adaptive", bins=2)
    assert est.ixt == pytest.approx(0.8112781244591328)  # h(1/4)


def test_a_heavy_run_of_ties_leaves_the_other_bins_to_the_other_values():
    T = np.concatenate([np.zeros(90), np.arange(1.0, 11.0)])  # ReLU zeros, 10 more values
    idx = adaptive_bin_indices(T[None, :, None], bins=10)[0, :, 0]
    # zeros in bin 0; 10 values share the 9 bins left: the smallest two share one
    assert idx.tolist() == [0] * 90 + [1, 1, 2, 3, 4, 5, 6, 7, 8, 9]


layers_with_ties = st.integers(2, 60).flatmap(
    lambda n: arrays(np.float64, (n, 2), elements=st.sampled_from([-3.0, 0.0, 0.5, 1.0, 7.0]))
    | arrays(np.float64, (n, 2), elements=st.floats(-5, 5))
)


@settings(max_examples=60, deadline=None)
@given(layers_with_ties, st.integers(1, 12), st.booleans())
def test_no_bin_stays_empty_while_distinct_values_share_one(T, bins, unique):
    idx = adaptive_bin_indices(T[None], bins=bins, unique=unique)[0]
    distinct = np.unique(T).size
    assert np.unique(idx).size == min(bins, distinct)
    assert idx.min() == 0 and idx.max() == min(bins, distinct) - 1
    order = np.argsort(T, axis=None, kind="stable")
    assert np.all(np.diff(idx.ravel()[order]) >= 0)  # monotone in the value
    for value in np.unique(T):
        assert np.unique(idx[T == value]).size == 1  # ties never split
