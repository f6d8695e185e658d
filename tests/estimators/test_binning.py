"""The binning estimator: exact discrete answers, properties, an independent check."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from infoplane import InfoplaneError, estimate_information
from infoplane.estimators import get_estimator
from infoplane.estimators.binning import (
    BinningOptions,
    bin_indices,
    binned_pattern_codes,
    pattern_codes,
)


def entropy_bits(labels: np.ndarray) -> float:
    p = np.unique(labels, return_counts=True)[1] / labels.size
    return float(-(p * np.log2(p)).sum())


def test_all_patterns_distinct_gives_log2_n():
    n = 32
    T = np.linspace(-0.99, 0.99, n)[:, None]  # one value per bin of 32
    est = estimate_information(T, np.zeros(n), bins=n)
    assert est.ixt == pytest.approx(np.log2(n))
    assert est.ity == pytest.approx(0.0, abs=1e-12)


def test_distinct_multiunit_patterns_give_log2_n():
    grid = np.linspace(-0.9, 0.9, 4)
    T = np.array([[a, b, c] for a in grid for b in grid for c in grid])  # 64 patterns
    assert estimate_information(T, np.arange(64) % 2, bins=4).ixt == pytest.approx(6.0)


@pytest.mark.parametrize("n", [10, 50])  # n = 10 once gave -4e-16 by rounding
def test_constant_layer_gives_zero(n):
    est = estimate_information(np.full((n, 3), 0.3), np.arange(n) % 2)
    assert est.ixt == 0.0
    assert est.ity == 0.0


def test_a_unit_equal_to_the_label_gives_h_y():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 200)
    T = np.column_stack([np.array([-0.9, 0.0, 0.9])[y], rng.uniform(-1, 1, 200)])
    assert estimate_information(T, y).ity == pytest.approx(entropy_bits(y))


def test_values_outside_the_range_fall_in_the_end_bins():
    idx, n_bins = bin_indices(np.array([-5.0, -1.0, -0.99, 0.99, 1.0, 5.0]), bins=30)
    assert n_bins == 30
    assert idx.tolist() == [0, 0, 0, 29, 29, 29]
    T = np.array([[-5.0], [-0.99], [0.99], [7.0]])  # two patterns, not four
    assert estimate_information(T, [0, 0, 1, 1]).ixt == pytest.approx(1.0)


layers = st.integers(2, 40).flatmap(
    lambda n: st.tuples(
        arrays(np.float64, st.tuples(st.just(n), st.integers(1, 4)), elements=st.floats(-1.5, 1.5)),
        arrays(np.int64, n, elements=st.integers(0, 2)),
    )
)


@settings(max_examples=30, deadline=None)
@given(layers, st.sampled_from([2, 5, 30]))
def test_bounds(layer, bins):
    T, y = layer
    est = estimate_information(T, y, bins=bins)
    tol = 1e-9
    assert -tol <= est.ity <= min(est.ixt, entropy_bits(y)) + tol
    assert 0.0 <= est.ixt <= np.log2(T.shape[0]) + tol


@settings(max_examples=20, deadline=None)
@given(layers, st.randoms(use_true_random=False))
def test_invariant_to_permuting_units_and_samples(layer, random):
    T, y = layer
    rng = np.random.default_rng(random.randrange(2**32))
    rows, cols = rng.permutation(T.shape[0]), rng.permutation(T.shape[1])
    a = estimate_information(T, y)
    b = estimate_information(T[rows][:, cols], y[rows])
    assert b.ixt == pytest.approx(a.ixt, abs=1e-9)
    assert b.ity == pytest.approx(a.ity, abs=1e-9)


def test_wide_layer_agrees_with_np_unique():
    rng = np.random.default_rng(1)
    n, units, bins = 500, 20, 30  # 30**20 > 2**62: forces the dense re-ranking
    T = np.tanh(rng.standard_normal((n, units)))
    T[::2, :] = T[1::2, :]  # repeated patterns, so H(T) < log2 n
    y = rng.integers(0, 2, n)
    idx, _ = bin_indices(T, bins=bins)
    _, t_codes = np.unique(idx, axis=0, return_inverse=True)
    _, ty_codes = np.unique(np.column_stack([idx, y]), axis=0, return_inverse=True)
    h_t, h_ty = entropy_bits(t_codes.ravel()), entropy_bits(ty_codes.ravel())
    est = estimate_information(T, y, bins=bins)
    assert est.ixt == pytest.approx(h_t, abs=1e-12)
    assert est.ity == pytest.approx(h_t + entropy_bits(y) - h_ty, abs=1e-12)
    codes = pattern_codes(idx, bins)
    assert np.unique(codes).size == np.unique(idx, axis=0).shape[0]


def test_many_matches_one_at_a_time():
    rng = np.random.default_rng(2)
    Ts = np.tanh(2 * rng.standard_normal((4, 100, 3)))
    y = rng.integers(0, 2, 100)
    ixt, ity = get_estimator("binning").many(Ts, y, bins=10)
    for point, T in enumerate(Ts):
        est = estimate_information(T, y, bins=10)
        assert (ixt[point], ity[point]) == pytest.approx((est.ixt, est.ity))


@pytest.mark.parametrize(
    ("T", "y", "kwargs", "message"),
    [
        (np.array([[0.1], [np.nan]]), [0, 1], {}, "NaN"),
        (np.zeros((3, 2)), [0, 1], {}, "3 samples"),
        (np.zeros((3, 2)), [0, 1, 0], {"bogus": 1}, "no option 'bogus'"),
        (np.zeros((3, 2)), [0, 1, 0], {"estimator": "nope"}, "unknown estimator"),
        (np.zeros((3, 2)), [0, 1, 0], {"bin_size": -1.0}, "bin_size"),
    ],
)
def test_user_errors_raise_infoplane_error(T, y, kwargs, message):
    with pytest.raises(InfoplaneError, match=message):
        estimate_information(T, y, **kwargs)


def test_float32_values_at_a_bin_edge_fall_in_the_same_bin_on_both_paths():
    # 0.5333333 (float32) lies just below the edge 23 * 2/30 - 1: float32 arithmetic
    # rounds it up to bin 23, float64 keeps it in bin 22
    T = np.array([[0.5333333015441895]], dtype=np.float32)
    assert bin_indices(T, bins=30)[0].item() == 22
    assert binned_pattern_codes(T[None], bins=30).item() == 22


@pytest.mark.parametrize("units", [1, 3, 20])  # 20 units of 30 bins: the NumPy (wide) path
def test_values_of_any_size_beyond_the_range_fall_in_the_end_bins(units):
    # was 7.65, 1.40, 0.00 bits on the compiled path: an int cast overflowed before clipping
    rng = np.random.default_rng(3)
    huge = np.array([s * 10.0**e for e in range(18, 31) for s in (-1, 1)])  # 26 values
    T = rng.permutation(np.concatenate([huge, [-0.5, 0.0, 0.5, 0.9]]))[:, None]
    T = np.repeat(T, units, axis=1)
    # 13 values in bin 0, 13 in bin 29, 4 in bins of their own
    exact = entropy_bits(np.array([0] * 13 + [1] * 13 + [2, 3, 4, 5]))
    assert estimate_information(T, np.arange(30) % 2).ixt == pytest.approx(exact, abs=1e-12)
    idx, _ = bin_indices(T)
    assert sorted(set(idx.ravel().tolist())) == [0, 7, 15, 22, 28, 29]


def test_huge_values_agree_on_the_compiled_and_numpy_paths():
    rng = np.random.default_rng(4)
    T = rng.standard_normal((512, 4)) * 10.0 ** rng.integers(18, 31, (512, 4))
    T[::3] = rng.uniform(-1, 1, (171, 4))
    idx, _ = bin_indices(T)
    _, codes = np.unique(idx, axis=0, return_inverse=True)
    assert estimate_information(T, np.zeros(512)).ixt == pytest.approx(
        entropy_bits(codes.ravel()), abs=1e-12
    )


def test_bin_size_without_a_range_bins_the_data_at_multiples_of_the_width():
    # was 0.18 bits: everything above 1 was clipped into the default (-1, 1) range
    T = ((np.arange(4000) % 40) * 0.5 + 0.25)[:, None]  # [0, 20), 100 values a bin
    y = np.arange(4000) % 2
    assert estimate_information(T, y, bin_size=0.5).ixt == pytest.approx(np.log2(40))
    assert estimate_information(T, y, bin_size=0.5, value_range=None).ixt == pytest.approx(
        np.log2(40)
    )
    uniform = np.random.default_rng(0).uniform(0, 20, 20000)
    assert estimate_information(uniform, uniform > 10, bin_size=0.5).ixt == pytest.approx(
        np.log2(40), abs=0.01
    )
    # the edges are the multiples of the width, wherever the data start: bin floor(t / w)
    idx, n_bins = bin_indices(np.array([-0.75, -0.25, 0.25, 1.1, 1.4]), bin_size=0.5)
    assert (idx.tolist(), n_bins) == ([0, 1, 2, 4, 4], 5)


def test_bin_size_with_a_range_bins_that_range():
    T = ((np.arange(4000) % 40) * 0.5 + 0.25)[:, None]
    y = np.arange(4000) % 2
    est = estimate_information(T, y, bin_size=0.5, value_range=(0, 20))
    assert est.ixt == pytest.approx(np.log2(40))
    # four bins of width 0.5 on (-1, 1): 0.25 in its own, 0.75 and above in the last
    clipped = estimate_information(T, y, bin_size=0.5, value_range=(-1, 1)).ixt
    assert clipped == pytest.approx(entropy_bits(np.minimum(np.arange(4000) % 40, 1)))


def test_bin_size_too_small_for_the_range_is_a_user_error():
    with pytest.raises(InfoplaneError, match="choose a larger bin_size"):
        estimate_information(np.array([0.0, 1e30]), [0, 1], bin_size=1e-12)


def test_more_bins_than_samples_in_wide_layers_agree_with_np_unique():
    rng = np.random.default_rng(5)
    T = rng.uniform(0, 1e6, (50, 8))  # 1e12 bins of width 1e-6 per unit
    T[::2] = T[1::2]
    idx = np.floor(T / 1e-6)
    _, codes = np.unique(idx, axis=0, return_inverse=True)
    est = estimate_information(T, np.zeros(50), bin_size=1e-6)
    assert est.ixt == pytest.approx(entropy_bits(codes.ravel()), abs=1e-12)


@pytest.mark.parametrize("n_labels", [3, 16, 17, 400])  # dense per-label counts, then pairs
def test_many_labels_agree_with_np_unique(n_labels):
    rng = np.random.default_rng(n_labels)
    T = np.tanh(rng.standard_normal((400, 2)))
    y = rng.integers(0, n_labels, 400) if n_labels < 400 else rng.permutation(400)
    idx, _ = bin_indices(T, bins=6)
    _, t_codes = np.unique(idx, axis=0, return_inverse=True)
    _, ty_codes = np.unique(np.column_stack([idx, y]), axis=0, return_inverse=True)
    h_t, h_ty = entropy_bits(t_codes.ravel()), entropy_bits(ty_codes.ravel())
    est = estimate_information(T, y, bins=6)
    assert est.ixt == pytest.approx(h_t, abs=1e-12)
    assert est.ity == pytest.approx(h_t + entropy_bits(y) - h_ty, abs=1e-12)


def test_counting_memory_grows_with_n_not_with_n_times_labels():
    # was a (slots x labels) table: 5.2 GB for 20000 samples of distinct labels
    from infoplane.estimators._counting import _scratch

    n = 20000
    assert sum(a.nbytes for a in _scratch(2 * 32768, n, n)) <= 200 * n  # was 262144 n


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"bins": 0}, "The 'bins' option of estimator 'binning' must be an int >= 1, got 0."),
        ({"bins": "abc"}, "The 'bins' option of estimator 'binning' must be an int >= 1, "
                          "got 'abc'."),
        ({"bins": 2.5}, "The 'bins' option of estimator 'binning' must be an int >= 1, got 2.5."),
        ({"bins": True}, "The 'bins' option of estimator 'binning' must be an int >= 1"),
        ({"bin_size": "big"}, "The 'bin_size' option of estimator 'binning' must be a finite "
                              "number > 0 or None, got 'big'."),
        ({"bin_size": 0}, "The 'bin_size' option"),
        ({"bin_size": float("inf")}, "The 'bin_size' option"),
        ({"value_range": "ab"}, "The 'value_range' option of estimator 'binning' must be "
                                "'auto', 'data' (or None) or (low, high) with finite low < high, "
                                "got 'ab'."),
        ({"value_range": (1, 0)}, "The 'value_range' option"),
        ({"value_range": (0, float("nan"))}, "The 'value_range' option"),
        ({"value_range": (0, 1, 2)}, "The 'value_range' option"),
        ({"value_range": ("a", "b")}, "The 'value_range' option"),
    ],
)
def test_bad_option_values_are_one_line_errors(options, message):
    with pytest.raises(InfoplaneError, match=re.escape(message)):
        estimate_information(np.zeros((4, 1)), [0, 1, 0, 1], **options)


def test_options_schema_is_filled_and_normalised():
    from infoplane.estimators import resolve_options

    assert resolve_options("binning", {"value_range": [0, 2]}) == {
        "bins": 30, "value_range": (0.0, 2.0), "bin_size": None, "edges": "equal"
    }
    assert resolve_options("binning", {"value_range": "data"})["value_range"] is None
    assert BinningOptions.from_options({}).fixed_range == (-1.0, 1.0)
    assert BinningOptions.from_options({"bin_size": 0.5}).fixed_range is None

def test_idnns_edges_follow_the_released_code_by_hand():
    # edges linspace(-1, 1, 30): 29 intervals of width 2/29; np.digitize, then
    # edges[index - 1], so a value below -1 wraps round to the top group
    from infoplane.estimators.binning import idnns_bin_indices

    width = 2 / 29
    T = np.array([-1.0, -1 + 0.5 * width, 0.0, 0.999, 1.0, -1.5])
    # 0.0 lies in [-1 + 14 w, -1 + 15 w) = [-0.0345, 0.0345): index 14 (equal bins: 15)
    assert idnns_bin_indices(T, bins=30).tolist() == [0, 0, 14, 28, 29, 29]
    assert bin_indices(T, bins=30)[0].tolist() == [0, 0, 15, 29, 29, 0]


@pytest.mark.parametrize(
    ("values", "idnns_bits", "equal_bits"),
    [
        ([0.999, 1.0], 1.0, 0.0),  # saturated 1.0 is a group of its own in the released code
        ([-1.5, 1.0], 0.0, 1.0),  # below -1 wraps into the top group
        ([0.0, 0.03], 0.0, 0.0),  # the same interval [-1 + 14 w, -1 + 15 w)
    ],
)
def test_idnns_edges_information_by_hand(values, idnns_bits, equal_bits):
    T = np.array(values)[:, None]
    y = [0, 1]
    idnns = estimate_information(T, y, edges="idnns")
    assert idnns.ixt == pytest.approx(idnns_bits)
    assert idnns.ity == pytest.approx(idnns_bits)
    assert estimate_information(T, y).ixt == pytest.approx(equal_bits)
    assert estimate_information(T, y, edges="equal").ixt == pytest.approx(equal_bits)


def test_idnns_edges_off_by_default_and_checked():
    assert get_estimator("binning").defaults["edges"] == "equal"
    with pytest.raises(InfoplaneError, match="'edges' option of estimator 'binning'"):
        estimate_information(np.zeros((4, 1)), [0, 0, 1, 1], edges="paper")
    with pytest.raises(InfoplaneError, match="'value_range'"):
        estimate_information(np.zeros((4, 1)), [0, 0, 1, 1], edges="idnns", value_range=None)


def test_deterministic_estimates_have_no_stderr():
    Ts = np.random.default_rng(0).uniform(-1, 1, size=(2, 20, 3))
    y = np.arange(20) % 2
    est = get_estimator("binning")
    ixt, ity, ixt_se, ity_se = est.many_with_stderr(Ts, y, **est.defaults)
    assert np.array_equal(ixt, est.many(Ts, y, **est.defaults)[0])
    assert np.isnan(ixt_se).all() and np.isnan(ity_se).all()


def test_idnns_edges_are_checked_with_the_other_binning_options():
    from infoplane.estimators import resolve_options

    with pytest.raises(InfoplaneError, match="The 'edges' option of estimator 'binning'"):
        resolve_options("binning", {"edges": "bogus"})
    with pytest.raises(InfoplaneError, match="an int >= 2 with edges=\"idnns\""):
        resolve_options("binning", {"edges": "idnns", "bins": 1})
    with pytest.raises(InfoplaneError, match="a \\(low, high\\) pair"):
        resolve_options("binning", {"edges": "idnns", "value_range": "data"})


def _unique_reference(idx: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """H(T) and I(T;Y) of rows of bin indices, by np.unique (the exact reference)."""
    _, t_codes = np.unique(idx, axis=0, return_inverse=True)
    _, ty_codes = np.unique(np.column_stack([idx, y]), axis=0, return_inverse=True)
    h_t, h_ty = entropy_bits(t_codes.ravel()), entropy_bits(ty_codes.ravel())
    return h_t, h_t + entropy_bits(y) - h_ty


def _wide_layer(rng: np.random.Generator, n: int, units: int) -> np.ndarray:
    """A ReLU-like float32 layer with ties (zeros), repeated rows and rows that differ
    from another only in the last unit."""
    T = np.maximum(rng.standard_normal((n, units)), 0).astype(np.float32)
    q, h = n // 8, n // 2
    T[: 2 * q] = T[2 * q : 4 * q]  # duplicates
    T[h : h + q] = T[h + q : h + 2 * q]
    T[h : h + q, -1] += 1.5  # ... then differing in the last unit only
    T[-5:] = 0.0  # all-zero rows (a tie in every unit)
    return T


@pytest.mark.parametrize(("n", "units", "bins", "n_labels"),
                         [(400, 64, 30, 10), (997, 257, 2, 3), (300, 1024, 30, 40)])
def test_wide_layers_agree_with_np_unique_on_ties_duplicates_and_last_units(
        n, units, bins, n_labels):
    rng = np.random.default_rng(units)
    T = _wide_layer(rng, n, units)
    y = rng.integers(0, n_labels, n)
    value_range = (float(T.min()), float(T.max()))
    idx, _ = bin_indices(T, bins=bins, value_range=value_range)
    h_t, i_ty = _unique_reference(idx, y)
    assert h_t < np.log2(n) - 0.1  # the layer has repeated patterns
    est = estimate_information(T, y, bins=bins, value_range=value_range)
    assert est.ixt == pytest.approx(h_t, abs=1e-12)
    assert est.ity == pytest.approx(i_ty, abs=1e-12)
    codes = binned_pattern_codes(T[None], bins=bins, value_range=value_range)[0]
    _, inverse = np.unique(idx, axis=0, return_inverse=True)
    # the same partition of the samples: equal codes exactly for equal rows of bins
    pairs = np.unique(np.column_stack([codes, inverse.ravel()]), axis=0)
    assert len(pairs) == len(np.unique(codes)) == len(np.unique(inverse))


def test_wide_stack_of_points_matches_one_at_a_time_with_each_own_range():
    rng = np.random.default_rng(9)
    Ts = np.stack([_wide_layer(rng, 200, 300) * s for s in (1.0, 3.0, 0.5)])
    Ts[1, :, 0] = 50.0  # a unit far out: point 1's range differs
    y = rng.integers(0, 4, 200)
    ixt, ity = get_estimator("binning").many(Ts, y, bins=30, value_range=None)
    for point, T in enumerate(Ts):
        idx, _ = bin_indices(T, bins=30, value_range=None)
        assert (ixt[point], ity[point]) == pytest.approx(_unique_reference(idx, y), abs=1e-12)


def test_wide_path_is_exact_when_every_fingerprint_collides(monkeypatch):
    # equal fingerprints for all samples: only the bin-by-bin check tells rows apart
    from infoplane.estimators import _counting

    rng = np.random.default_rng(4)
    T = _wide_layer(rng, 300, 100)
    y = rng.integers(0, 3, 300)
    monkeypatch.setattr(_counting, "_fingerprints",
                        lambda T, *args: np.zeros(T.shape[:2], dtype=np.int64))
    idx, _ = bin_indices(T, bins=30, value_range=(0.0, 4.0))
    est = estimate_information(T, y, bins=30, value_range=(0.0, 4.0))
    assert (est.ixt, est.ity) == pytest.approx(_unique_reference(idx, y), abs=1e-12)
