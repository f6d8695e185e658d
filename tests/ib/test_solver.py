"""The IB curve solver: the DSBS closed form, properties, an independent solver."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq
from scipy.special import logsumexp, xlogy

from infoplane import InfoplaneError
from infoplane.ib import (
    IBCurve,
    ib_curve,
    ib_curve_from_conditional,
    labels_are_deterministic,
    upper_concave_envelope,
)


def h2(p):
    """Binary entropy in bits."""
    p = np.asarray(p, dtype=float)
    return -(xlogy(p, p) + xlogy(1 - p, 1 - p)) / np.log(2)


def h2_inverse(v):
    """The a in [0, 1/2] with h(a) = v."""
    if v <= 0:
        return 0.0
    if v >= 1:
        return 0.5
    return brentq(lambda a: h2(a) - v, 0.0, 0.5, xtol=1e-15)


def dsbs_ity(ixt, p):
    """The DSBS IB curve: I(T;Y) = 1 - h(p * h^-1(1 - I(X;T))), a*b = a(1-b) + b(1-a)."""
    out = []
    for r in np.atleast_1d(ixt):
        a = h2_inverse(1.0 - r)
        out.append(1.0 - h2(p * (1 - a) + a * (1 - p)))
    return np.array(out)


def dsbs(p):
    """X ~ Bern(1/2), Y = X xor Bern(p)."""
    return np.array([[(1 - p) / 2, p / 2], [p / 2, (1 - p) / 2]])


def random_joint(seed, n_x, n_y, zeros=False):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.full(n_x * n_y, 0.5)).reshape(n_x, n_y)
    if zeros:
        p[rng.integers(n_x), :] = 0.0
        p[:, rng.integers(n_y)] = 0.0
    return p / p.sum()


def naive_ib_point(p_xy, beta, n_t, rng, iters=3000):
    """An independent, plain implementation of the IB iteration from a random encoder."""
    p_x = p_xy.sum(axis=1)
    keep = p_x > 0
    p_x, cond = p_x[keep], p_xy[keep] / p_x[keep, None]
    enc = rng.dirichlet(np.ones(n_t), size=p_x.size)
    for _ in range(iters):
        p_t = p_x @ enc
        p_y_t = (enc * p_x[:, None]).T @ cond / np.maximum(p_t, 1e-300)[:, None]
        kl = xlogy(cond, cond).sum(1)[:, None] - cond @ np.log(np.maximum(p_y_t, 1e-300)).T
        logits = np.log(np.maximum(p_t, 1e-300)) - beta * kl
        enc = np.exp(logits - logsumexp(logits, axis=1, keepdims=True))
    p_t = p_x @ enc
    p_xt = enc * p_x[:, None]
    p_ty = p_xt.T @ cond
    p_y = p_x @ cond
    ixt = xlogy(p_xt, p_xt).sum() - xlogy(p_x, p_x).sum() - xlogy(p_t, p_t).sum()
    ity = xlogy(p_ty, p_ty).sum() - xlogy(p_t, p_t).sum() - xlogy(p_y, p_y).sum()
    return ixt / np.log(2), ity / np.log(2)


# --- the doubly symmetric binary source ------------------------------------------------


@pytest.mark.parametrize("p", [0.05, 0.1, 0.2, 0.3])
def test_dsbs_matches_the_closed_form(p):
    curve = ib_curve(dsbs(p))
    assert curve.all_converged
    gap = dsbs_ity(curve.ixt, p) - curve.ity
    assert gap.max() <= 1e-3  # the acceptance bound; measured ~1e-8
    assert gap.max() <= 1e-6
    assert gap.min() >= -1e-9  # no point above the true curve
    raw_gap = dsbs_ity(curve.raw.ixt, p) - curve.raw.ity
    assert np.abs(raw_gap).max() <= 1e-6


@pytest.mark.parametrize("p", [0.05, 0.3])
def test_dsbs_curve_is_found_from_origin_to_end(p):
    curve = ib_curve(dsbs(p))
    inner = curve.ixt[(curve.ixt > 0) & (curve.ixt < 1)]
    assert inner.min() < 0.03  # points just above beta_c = 1 / (1 - 2p)^2
    assert inner.max() > 0.99
    assert np.max(np.diff(inner)) < 0.1  # no hole along the curve
    assert curve.ixt[-1] == pytest.approx(1.0)
    assert curve.ity[-1] == pytest.approx(1.0 - h2(p))
    beta_c = 1.0 / (1.0 - 2.0 * p) ** 2
    assert np.all(curve.raw.ixt[curve.raw.beta < beta_c] < 1e-9)


def test_dsbs_with_explicit_betas():
    p = 0.1
    betas = np.geomspace(1.0, 500.0, 80)
    curve = ib_curve(dsbs(p), betas=betas)
    np.testing.assert_array_equal(curve.raw.beta, betas)
    assert np.max(dsbs_ity(curve.ixt, p) - curve.ity) <= 1e-6


# --- properties --------------------------------------------------------------------------


def check_curve_properties(curve: IBCurve, hx: float, ixy: float):
    x, y = curve.ixt, curve.ity
    assert np.all(np.isfinite(x)) and np.all(np.isfinite(y))
    assert np.all(np.isfinite(curve.raw.ixt)) and np.all(np.isfinite(curve.raw.ity))
    assert x[0] == 0.0 and y[0] == 0.0
    assert x[-1] == pytest.approx(hx, abs=1e-9) and y[-1] == pytest.approx(ixy, abs=1e-9)
    assert np.all(np.diff(x) > 0)
    assert np.all(np.diff(y) >= -1e-12)  # non-decreasing
    slopes = np.diff(y) / np.diff(x)
    assert np.all(np.diff(slopes) <= 1e-9)  # concave
    for ixt, ity in ((x, y), (curve.raw.ixt, curve.raw.ity)):
        assert np.all(ity <= np.minimum(ixt, ixy) + 1e-9)
        assert np.all(ity >= 0)
    assert curve.ixy == pytest.approx(ixy, abs=1e-12)
    assert curve.hx == pytest.approx(hx, abs=1e-12)


def entropy(p):
    return float(-xlogy(p, p).sum() / np.log(2))


def mutual_information(p_xy):
    return entropy(p_xy.sum(1)) + entropy(p_xy.sum(0)) - entropy(p_xy)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_x=st.integers(2, 6),
    n_y=st.integers(2, 4),
    zeros=st.booleans(),
)
def test_random_curves_are_concave_bounded_and_end_at_hx_ixy(seed, n_x, n_y, zeros):
    p = random_joint(seed, n_x, n_y, zeros)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # converges: no warning
        curve = ib_curve(p, n_betas=40)
    check_curve_properties(curve, entropy(p.sum(1)), mutual_information(p))


@pytest.mark.parametrize("seed", [3, 11])
def test_no_encoder_of_an_independent_solver_beats_the_bound(seed):
    p = random_joint(seed, 5, 3)
    curve = ib_curve(p)
    rng = np.random.default_rng(seed)
    for beta in (1.5, 3.0, 6.0, 20.0):
        ixt, ity = naive_ib_point(p, beta, n_t=6, rng=rng)
        # 200 betas: the envelope's chords lie < 1e-4 bits below the curve
        assert ity <= curve.ity_at(ixt) + 2e-4


def test_curve_leaving_the_origin_steeper_than_rho_squared_is_found():
    # A first-order transition: a solution better than T constant exists below
    # beta_c = 1 / rho^2 = 4.94; found by the downward sweep below beta_c.
    p = np.array(
        [
            [0.01295, 0.00116, 0.24089],
            [0.00314, 0.00138, 0.00851],
            [0.086, 0.05964, 0.50587],
            [0.02188, 0.03888, 0.01969],
        ]
    )
    p /= p.sum()
    curve = ib_curve(p)
    ixt, ity = naive_ib_point(p, 4.2238, n_t=5, rng=np.random.default_rng(0))
    assert 0.1 < ixt < 0.4
    assert ity <= curve.ity_at(ixt) + 2e-4


def test_zero_rows_and_columns_change_nothing():
    p = random_joint(7, 4, 3)
    padded = np.zeros((6, 5))
    padded[[0, 2, 3, 5]][:, [1, 2, 4]] = 0  # keep the shape obvious
    padded[np.ix_([0, 2, 3, 5], [1, 2, 4])] = p
    a, b = ib_curve(p, n_betas=60), ib_curve(padded, n_betas=60)
    np.testing.assert_allclose(b.ixt, a.ixt, atol=1e-12)
    np.testing.assert_allclose(b.ity, a.ity, atol=1e-12)
    assert np.all(np.isfinite(b.raw.ity))


def test_zero_cells_inside_give_no_nan():
    p = np.array([[0.3, 0.0, 0.1], [0.0, 0.2, 0.0], [0.1, 0.0, 0.3]])
    curve = ib_curve(p, n_betas=50)
    check_curve_properties(curve, entropy(p.sum(1)), mutual_information(p))


def test_relabelling_inputs_and_labels_keeps_the_curve():
    p = random_joint(5, 5, 3)
    rng = np.random.default_rng(0)
    q = p[rng.permutation(5)][:, rng.permutation(3)]
    a, b = ib_curve(p, n_betas=80), ib_curve(q, n_betas=80)
    grid = np.linspace(0, a.hx, 200)
    np.testing.assert_allclose(a.ity_at(grid), b.ity_at(grid), atol=1e-5)


def test_duplicate_inputs_are_merged_exactly():
    p = random_joint(2, 3, 2)
    split = np.vstack([p[:1] / 2, p[:1] / 2, p[1:]])  # x0 split into two equal inputs
    a, b = ib_curve(p, n_betas=60), ib_curve(split, n_betas=60)
    assert b.ixy == pytest.approx(a.ixy, abs=1e-12)
    assert b.hx == pytest.approx(a.hx + p[0].sum(), abs=1e-12)
    np.testing.assert_allclose(b.raw.ity, a.raw.ity, atol=1e-12)
    np.testing.assert_allclose(b.raw.ixt, a.raw.ixt, atol=1e-12)


def test_same_seed_same_curve():
    p = random_joint(4, 4, 3)
    a, b = ib_curve(p, n_betas=50, seed=3), ib_curve(p, n_betas=50, seed=3)
    np.testing.assert_array_equal(a.ity, b.ity)
    np.testing.assert_array_equal(a.raw.ixt, b.raw.ixt)


def test_soft_labels_with_few_distinct_conditionals():
    # 4096 inputs, ~50 distinct p(y|x) (the tishby12 case): fast thanks to the reduction
    rng = np.random.default_rng(1)
    f = rng.integers(0, 50, 4096).astype(float)
    q = 1.0 / (1.0 + np.exp(-3.0 * (f - f.mean()) / f.std()))
    cond = np.stack([1 - q, q], axis=1)
    curve = ib_curve_from_conditional(cond)
    p = cond / 4096
    check_curve_properties(curve, 12.0, mutual_information(p))
    assert curve.all_converged
    assert curve.raw.n_clusters.max() <= np.unique(q).size
    assert curve.ity_at(4.0) > curve.ixy - 2e-3


# --- deterministic labels and independence ------------------------------------------------


def test_deterministic_labels_give_the_trivial_curve():
    y_of_x = np.array([0, 1, 1, 2, 0, 0, 1, 2])
    cond = np.eye(3)[y_of_x]
    assert labels_are_deterministic(cond)
    curve = ib_curve_from_conditional(cond)
    hy = entropy(np.bincount(y_of_x) / 8)
    assert curve.deterministic_labels
    np.testing.assert_allclose(curve.ixt, [0.0, hy, 3.0], atol=1e-12)
    np.testing.assert_allclose(curve.ity, [0.0, hy, hy], atol=1e-12)
    assert curve.ixy == pytest.approx(hy) and curve.hy == pytest.approx(hy)
    assert curve.ity_at(0.5 * hy) == pytest.approx(0.5 * hy)  # min(I(X;T), H(Y))


def test_soft_labels_are_not_deterministic():
    assert not labels_are_deterministic([[0.5, 0.5], [1.0, 0.0]])
    assert labels_are_deterministic([[1 - 1e-13, 1e-13], [0.0, 1.0]])
    assert not ib_curve(dsbs(0.1), n_betas=10).deterministic_labels


def test_independent_x_and_y_give_a_flat_curve():
    p = np.outer([0.2, 0.3, 0.5], [0.4, 0.6])
    curve = ib_curve(p)
    np.testing.assert_allclose(curve.ity, 0.0, atol=1e-12)
    assert curve.ixt[-1] == pytest.approx(entropy(np.array([0.2, 0.3, 0.5])))


# --- the envelope, frames, warnings, errors ----------------------------------------------


def test_upper_concave_envelope_known_case():
    x, y = upper_concave_envelope([0, 1, 2, 3, 3], [0, 0.2, 1.5, 1.6, 1.0])
    np.testing.assert_array_equal(x, [0, 2, 3])
    np.testing.assert_array_equal(y, [0, 1.5, 1.6])


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 30))
def test_upper_concave_envelope_is_concave_and_above_the_points(seed, n):
    rng = np.random.default_rng(seed)
    x, y = rng.integers(0, 10, n).astype(float), rng.normal(size=n)
    ex, ey = upper_concave_envelope(x, y)
    assert np.all(np.diff(ex) > 0)
    assert np.all(np.interp(x, ex, ey) >= y - 1e-12)
    if ex.size > 2:
        slopes = np.diff(ey) / np.diff(ex)
        assert np.all(np.diff(slopes) < 0)


def test_to_frame_has_the_contract_columns():
    frame = ib_curve(dsbs(0.2), n_betas=20).to_frame()
    assert list(frame.columns) == ["beta", "ixt", "ity"]
    assert frame["beta"].iloc[0] == 0.0 and np.isinf(frame["beta"].iloc[-1])


def test_result_arrays_are_read_only():
    curve = ib_curve(dsbs(0.2), n_betas=20)
    with pytest.raises(ValueError):
        curve.ity[0] = 1.0


def test_non_convergence_warns_and_names_the_settings():
    with pytest.warns(RuntimeWarning, match="max_iter.*tol"):
        curve = ib_curve(random_joint(0, 5, 3), n_betas=20, max_iter=1)
    assert not curve.all_converged


@pytest.mark.parametrize(
    ("p_xy", "options", "match"),
    [
        ([[0.5, -0.1], [0.3, 0.3]], {}, "non-negative"),
        ([[0.5, 0.1], [0.3, 0.3]], {}, "summing to 1"),
        ([0.5, 0.5], {}, "2-D"),
        ([[np.nan, 0.5], [0.2, 0.3]], {}, "finite"),
        ([[0.4, 0.1], [0.1, 0.4]], {"betas": [1.0, -2.0]}, "positive"),
        ([[0.4, 0.1], [0.1, 0.4]], {"n_betas": 1}, "n_betas"),
        ([[0.4, 0.1], [0.1, 0.4]], {"tol": 0.0}, "tol"),
        ([[0.4, 0.1], [0.1, 0.4]], {"seed": -1}, "seed"),
        ([[0.4, 0.1], [0.1, 0.4]], {"beta_max": 0.5}, "beta_max"),
    ],
)
def test_bad_input_raises_a_one_line_user_error(p_xy, options, match):
    with pytest.raises(InfoplaneError, match=match) as info:
        ib_curve(p_xy, **options)
    assert "\n" not in str(info.value)


def test_from_conditional_uses_uniform_p_x_by_default():
    cond = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]])
    a = ib_curve_from_conditional(cond, n_betas=40)
    b = ib_curve(cond / 3, n_betas=40)
    np.testing.assert_array_equal(a.ity, b.ity)
    with pytest.raises(InfoplaneError, match="p_x"):
        ib_curve_from_conditional(cond, p_x=[0.5, 0.5])
