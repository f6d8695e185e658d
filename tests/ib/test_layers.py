"""Layers against the IB bound: exact cases, beta recovery, properties, the batch helper."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp, xlogy

from infoplane import InfoplaneError
from infoplane.ib import (
    LayerIB,
    ib_curve,
    ib_curve_from_conditional,
    layer_against_bound,
    layers_against_bound,
)

N_PER_CLASS = 1024


def entropy(p):
    return float(-xlogy(p, p).sum() / np.log(2))


@pytest.fixture(scope="module")
def four_classes():
    """4096 equally likely inputs in 4 classes with p(y=1|x) = 0.1, 0.2, 0.8, 0.9."""
    q = np.repeat([0.1, 0.2, 0.8, 0.9], N_PER_CLASS)
    cond = np.stack([1 - q, q], axis=1)
    return q, cond, ib_curve_from_conditional(cond)


def test_identity_layer_sits_at_the_end_of_the_curve(four_classes):
    q, cond, curve = four_classes
    layer = layer_against_bound(np.arange(q.size), cond, curve)
    assert isinstance(layer, LayerIB)
    assert layer.ixt == pytest.approx(12.0, abs=1e-9)  # H(X)
    assert layer.ity == pytest.approx(curve.ixy, abs=1e-12)
    assert layer.gap == pytest.approx(0.0, abs=1e-9)
    assert layer.beta == 1e4  # all of I(X;Y) kept: the fit runs to the upper bound


def test_constant_layer_has_no_information(four_classes):
    q, cond, curve = four_classes
    layer = layer_against_bound(np.full(q.size, 7), cond, curve)
    assert layer.ixt == 0.0 and layer.ity == 0.0 and layer.gap == 0.0
    assert np.isnan(layer.beta)  # every beta fits a single code equally


def test_ib_optimal_hard_clustering_has_a_small_gap(four_classes):
    # By symmetry the best 2-cluster partition splits at p(y=1|x) = 1/2; it is
    # also the IB solution's limit at large beta for |T| = 2, on the curve.
    q, cond, curve = four_classes
    layer = layer_against_bound((q > 0.5).astype(int), cond, curve)
    assert layer.ixt == pytest.approx(1.0)
    assert layer.ity == pytest.approx(1 - entropy(np.array([0.15, 0.85])), abs=1e-12)
    assert -1e-6 <= layer.gap <= 1e-4
    # a worse partition of the same size is further from the bound
    worse = layer_against_bound(np.digitize(q, [0.15, 0.5]) % 2, cond, curve)
    assert worse.gap > layer.gap + 0.01


def test_gap_beyond_the_curve_uses_i_xy(four_classes):
    q, cond, curve = four_classes
    classes = np.digitize(q, [0.15, 0.5, 0.85])  # T = the class: I(X;T) = 2 bits
    layer = layer_against_bound(classes * 1000 + np.arange(q.size) % 3, cond, curve)
    assert layer.ixt > curve.ixt[-2]  # past the last finite-beta vertex
    assert layer.gap == pytest.approx(0.0, abs=1e-9)


def ib_encoder(w, cond, beta, n_t, iters=20000):
    """An independent fixed point of the IB equations over classes (soft encoder)."""
    enc = np.random.default_rng(0).dirichlet(np.ones(n_t), size=w.size)
    for _ in range(iters):
        p_t = w @ enc
        p_y_t = (enc * w[:, None]).T @ cond / p_t[:, None]
        kl = xlogy(cond, cond).sum(1)[:, None] - cond @ np.log(p_y_t).T
        logits = np.log(p_t) - beta * kl
        enc = np.exp(logits - logsumexp(logits, axis=1, keepdims=True))
    return enc


@pytest.mark.parametrize("beta0", [3.0, 5.0, 10.0])
def test_beta_of_a_layer_sampled_from_the_ib_solution_is_recovered(beta0):
    """Each input draws its code from p_beta0(t|x), the IB encoder at beta0.

    The fit is then the maximum-likelihood estimate of beta in the family
    p_beta(t|x) ∝ p(t) exp(-beta KL[p(y|x) ‖ p(y|t)]), which holds the true encoder,
    with p(t), p(y|t) measured on the sample. With 1024 inputs per class the
    membership frequencies are off by ~1.5% (binomial), which moved log beta* by at
    most 0.05 over 10 sampling seeds at these betas; a factor 1.25 (0.22 in log) is
    four times that.
    """
    levels = np.array([0.1, 0.3, 0.6, 0.95])
    w = np.full(4, 0.25)
    cond_c = np.stack([1 - levels, levels], axis=1)
    enc = ib_encoder(w, cond_c, beta0, n_t=4)
    x_class = np.repeat(np.arange(4), N_PER_CLASS)
    cond = cond_c[x_class]
    curve = ib_curve_from_conditional(cond, n_betas=60)
    u = np.random.default_rng(1).random(x_class.size)
    codes = (u[:, None] > np.cumsum(enc[x_class], axis=1)).sum(axis=1)
    beta = layer_against_bound(codes, cond, curve).beta
    assert abs(np.log(beta / beta0)) < np.log(1.25)


def test_batch_equals_one_by_one_and_dedupes_relabelled_rows(four_classes):
    q, cond, curve = four_classes
    rng = np.random.default_rng(0)
    noisy = q + 0.05 * rng.standard_normal(q.size)
    base = np.digitize(noisy, [0.3, 0.5, 0.7])
    codes = np.stack([base, 10 * base + 3, np.arange(q.size), np.zeros(q.size, int)])
    batch = layers_against_bound(codes, cond, curve)
    for k, row in enumerate(codes):
        one = layer_against_bound(row, cond, curve)
        for got, want in zip(
            (batch.ixt[k], batch.ity[k], batch.gap[k], batch.beta[k]), one, strict=True
        ):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert batch.ixt.shape == (4,)
    assert batch.beta[0] == batch.beta[1]  # the same partition, relabelled
    ixt, ity, gap, beta = batch  # unpacks like a tuple
    assert np.isfinite(beta[0]) and 1e-2 < beta[0] < 1e4


def test_inputs_of_zero_probability_are_ignored():
    cond = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5], [0.7, 0.3]])
    p_x = np.array([0.5, 0.5, 0.0, 0.0])
    curve = ib_curve(p_x[:2, None] * cond[:2], n_betas=40)
    a = layer_against_bound([0, 1, 2, 3], cond, curve, p_x=p_x)
    b = layer_against_bound([0, 1, 1, 0], cond, curve, p_x=p_x)
    assert a.ixt == pytest.approx(1.0) and b.ixt == pytest.approx(1.0)
    assert a.ity == pytest.approx(b.ity, abs=1e-15)


def test_curve_of_another_distribution_is_refused(four_classes):
    q, cond, curve = four_classes
    other = np.stack([1 - q / 2, q / 2], axis=1)
    with pytest.raises(InfoplaneError, match="same p\\(x, y\\)"):
        layer_against_bound(np.arange(q.size), other, curve)


@pytest.mark.parametrize(
    ("codes", "match"),
    [
        (np.linspace(0, 1, 4096), "integer"),
        (np.arange(10), "shape"),
    ],
)
def test_bad_codes_raise_a_user_error(four_classes, codes, match):
    _, cond, curve = four_classes
    with pytest.raises(InfoplaneError, match=match):
        layer_against_bound(codes, cond, curve)


def test_bad_bracket_and_curve_raise_user_errors(four_classes):
    q, cond, curve = four_classes
    with pytest.raises(InfoplaneError, match="beta_bounds"):
        layer_against_bound(np.arange(q.size), cond, curve, beta_bounds=(10.0, 1.0))
    with pytest.raises(InfoplaneError, match="IBCurve"):
        layer_against_bound(np.arange(q.size), cond, curve.to_frame())
    with pytest.raises(InfoplaneError, match="shape"):
        layers_against_bound(np.arange(q.size), cond, curve)


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_x=st.integers(2, 8),
    n_y=st.integers(2, 3),
    n_codes=st.integers(1, 8),
)
def test_random_layers_respect_the_bounds(seed, n_x, n_y, n_codes):
    rng = np.random.default_rng(seed)
    cond = rng.dirichlet(np.full(n_y, 0.7), size=n_x)
    curve = ib_curve_from_conditional(cond, n_betas=60)
    codes = rng.integers(0, n_codes, size=(3, n_x))
    layers = layers_against_bound(codes, cond, curve)
    assert np.all(layers.ixt >= 0) and np.all(layers.ixt <= np.log2(n_x) + 1e-12)
    assert np.all(layers.ity >= 0)
    assert np.all(layers.ity <= np.minimum(layers.ixt, curve.ixy) + 1e-9)
    assert np.all(layers.gap >= -1e-3)  # no layer above the bound (chord accuracy)
    ok = np.isfinite(layers.beta)
    assert np.all((layers.beta[ok] >= 1e-2) & (layers.beta[ok] <= 1e4))
    # relabelling the codes changes nothing
    again = layers_against_bound(codes * 5 + 2, cond, curve)
    np.testing.assert_allclose(again.ity, layers.ity, atol=1e-12)
    np.testing.assert_allclose(again.beta, layers.beta, rtol=1e-9)


def _fit_kl_by_grid(codes, cond, betas):
    """min over betas of E_x[-log2 p_beta(t(x)|x)], computed directly (independent)."""
    n_x = codes.size
    _, t = np.unique(codes, return_inverse=True)
    p_t = np.bincount(t) / n_x
    p_y_t = np.stack([np.bincount(t, weights=cond[:, k]) for k in range(cond.shape[1])], 1)
    p_y_t /= p_y_t.sum(axis=1, keepdims=True)
    kl = xlogy(cond, cond).sum(1)[:, None] - cond @ np.log(p_y_t).T  # (n_x, n_t)
    best = np.inf
    for beta in betas:
        logits = np.log(p_t)[None, :] - beta * kl
        log_enc = logits - logsumexp(logits, axis=1, keepdims=True)
        best = min(best, -log_enc[np.arange(n_x), t].mean() / np.log(2))
    return best


def test_kl_at_beta_is_the_fit_objective_at_its_minimum(four_classes):
    q, cond, curve = four_classes
    rng = np.random.default_rng(2)
    codes = np.digitize(q + 0.2 * rng.standard_normal(q.size), [0.3, 0.5, 0.7])
    layer = layer_against_bound(codes, cond, curve)
    # a coarse grid over the whole bracket and a fine one around the fitted beta*
    betas = np.r_[np.geomspace(1e-2, 1e4, 61), np.geomspace(layer.beta / 2, layer.beta * 2, 201)]
    grid = _fit_kl_by_grid(codes, cond, betas)
    assert layer.kl_at_beta - 1e-9 <= grid <= layer.kl_at_beta + 1e-4
    assert 0 < layer.kl_at_beta <= layer.ixt


def test_kl_at_beta_closed_forms(four_classes):
    q, cond, curve = four_classes
    # each input its own code: the IB encoder at beta -> inf spreads x evenly over the
    # 1024 codes of its class, so E_x KL = log2 1024 = 10 bits
    assert layer_against_bound(np.arange(q.size), cond, curve).kl_at_beta == pytest.approx(
        10.0, abs=1e-6
    )
    # one code: the encoder is exact, KL = H(T) = 0
    assert layer_against_bound(np.zeros(q.size, int), cond, curve).kl_at_beta == 0.0
    # the classes themselves: deterministic and IB-optimal as beta -> inf
    classes = np.digitize(q, [0.15, 0.5, 0.85])
    assert layer_against_bound(classes, cond, curve).kl_at_beta == pytest.approx(0.0, abs=1e-6)


def test_kl_at_beta_in_batches(four_classes):
    q, cond, curve = four_classes
    codes = np.stack([(q > 0.5).astype(int), np.arange(q.size) % 7])
    batch = layers_against_bound(codes, cond, curve)
    for k, row in enumerate(codes):
        assert batch.kl_at_beta[k] == pytest.approx(
            layer_against_bound(row, cond, curve).kl_at_beta, abs=1e-12
        )


def test_kl_floor_closed_forms_and_bound(four_classes):
    q, cond, curve = four_classes
    # each input its own code: H(T | class) = log2 1024 = 10 bits, all of the residual
    identity = layer_against_bound(np.arange(q.size), cond, curve)
    assert identity.kl_floor == pytest.approx(10.0, abs=1e-9)
    assert identity.kl_at_beta == pytest.approx(identity.kl_floor, abs=1e-6)
    # one code, or the classes themselves: nothing about T is hidden from the IB encoder
    assert layer_against_bound(np.zeros(q.size, int), cond, curve).kl_floor == 0.0
    classes = np.digitize(q, [0.15, 0.5, 0.85])
    assert layer_against_bound(classes, cond, curve).kl_floor == pytest.approx(0.0, abs=1e-12)
    # each class split in two: one bit the IB encoder cannot see
    halves = classes * 2 + (np.arange(q.size) % 2)
    assert layer_against_bound(halves, cond, curve).kl_floor == pytest.approx(1.0, abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 40))
def test_the_residual_never_falls_below_its_floor(four_classes, seed, n_codes):
    q, cond, curve = four_classes
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, n_codes, size=(3, q.size))
    codes[1] = np.digitize(q + 0.3 * rng.standard_normal(q.size), [0.3, 0.5, 0.7])
    batch = layers_against_bound(codes, cond, curve)
    assert (batch.kl_floor >= 0).all()
    assert (batch.kl_at_beta >= batch.kl_floor - 1e-9).all()
    assert (batch.kl_floor <= batch.ixt + 1e-9).all()


def test_a_layer_keeping_all_the_information_gets_the_limit_beta_to_infinity():
    # was: the residual at beta = 1e4, where two nearly equal p(y|x) (KL ~ 2e-8 nats)
    # still share each input's mass, so the identity layer read ~12 bits, not 11
    q = np.repeat([0.5, 0.5001], 2048)
    cond = np.stack([1 - q, q], axis=1)
    curve = ib_curve_from_conditional(cond)
    identity = layer_against_bound(np.arange(q.size), cond, curve)
    assert identity.beta == 1e4
    assert identity.kl_floor == pytest.approx(11.0, abs=1e-9)
    assert identity.kl_at_beta == pytest.approx(11.0, abs=1e-6)
    # the classes themselves: exact at the limit
    classes = (q > 0.5).astype(int)
    assert layer_against_bound(classes, cond, curve).kl_at_beta == pytest.approx(0.0, abs=1e-9)
