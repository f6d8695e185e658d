"""The noisy network by sample propagation: exact mixtures (quadrature), limits,
an independent per-draw formula, chunking and the options."""

import re

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.spatial.distance import cdist
from scipy.special import logsumexp
from scipy.stats import norm

from infoplane import InfoplaneError, estimate_information
from infoplane.estimators import noisy


def mixture_information_bits(centres: np.ndarray, sigma: float) -> float:
    """Exact I(X;T+Z) = h(T+Z) - h(Z) for 1-D equal-weight centres, by quadrature."""

    def integrand(v: float) -> float:
        p = float(norm.pdf(v, centres, sigma).mean())
        return -p * np.log(p) if p > 0 else 0.0

    lo, hi = centres.min() - 12 * sigma, centres.max() + 12 * sigma
    h_mix = quad(integrand, lo, hi, limit=200, points=sorted(set(centres)))[0]
    return (h_mix - 0.5 * np.log(2 * np.pi * np.e * sigma**2)) / np.log(2)


def test_well_separated_points_give_log2_n():
    rng = np.random.default_rng(0)
    n = 32
    T = 1000.0 * rng.standard_normal((n, 3))
    est = estimate_information(T, np.arange(n) % 4, "noisy", sigma=0.1)
    assert est.ixt == pytest.approx(np.log2(n), abs=0.01)
    assert est.ity == pytest.approx(2.0, abs=0.01)
    assert est.ixt_stderr < 1e-6


def test_heavy_noise_gives_near_zero():
    T = np.random.default_rng(1).uniform(-1, 1, (64, 5))
    est = estimate_information(T, np.arange(64) % 2, "noisy", sigma=100.0)
    assert est.ixt < 0.01
    assert est.ity < 0.01


def test_decreases_with_sigma():
    T = np.tanh(np.random.default_rng(2).standard_normal((100, 4)))
    values = [
        estimate_information(T, np.arange(100) % 2, "noisy", sigma=s)
        for s in [0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2]
    ]
    for big, small in zip(values, values[1:], strict=False):
        assert big.ixt - small.ixt > 3 * (big.ixt_stderr + small.ixt_stderr)


@pytest.mark.parametrize(
    ("centres", "sigma"),
    [
        (np.array([-0.5, 0.5]), 1.0),  # strongly overlapping
        (np.array([0.0, 2.0]), 1.0),
        (np.array([0.0, 0.0, 3.0]), 1.0),  # weights 2/3 and 1/3
        (np.array([0.0, 0.25]), 0.1),
    ],
)
def test_two_component_mixture_within_three_standard_errors(centres, sigma):
    exact = mixture_information_bits(centres, sigma)
    est = estimate_information(
        centres[:, None], np.zeros(centres.size), "noisy", sigma=sigma, n_samples=6000
    )
    assert abs(est.ixt - exact) <= 3 * est.ixt_stderr
    assert est.ixt_stderr < 0.02


def test_labels_that_name_the_component():
    # Y = which of two distinct centres: I(T+Z;Y) = I(X;T+Z) draw by draw
    centres = np.array([[0.0], [1.5]])
    est = estimate_information(centres, [0, 1], "noisy", sigma=1.0, n_samples=6000)
    exact = mixture_information_bits(centres[:, 0], 1.0)
    assert est.ity == pytest.approx(est.ixt, abs=1e-12)
    assert abs(est.ity - exact) <= 3 * est.ity_stderr


def test_per_draw_terms_match_the_plain_formula():
    # f = ln n - ln p-part with the own term integrated: f_plain + (d - |z|^2) / 2
    rng = np.random.default_rng(3)
    n, d, sigma = 50, 3, 0.4
    T = rng.standard_normal((n, d))
    y = np.sort(rng.integers(0, 2, n))
    comps = noisy.draw_components(n, 170, rng)
    Z = rng.standard_normal((170, d))
    f, g = noisy.mixture_log_ratios(T, y, comps, Z, sigma)
    V = T[comps] + sigma * Z
    a = -cdist(V, T, "sqeuclidean") / (2 * sigma**2)
    f_plain = np.log(n) - logsumexp(a, axis=1) - d / 2
    assert f == pytest.approx(f_plain + (d - (Z**2).sum(axis=1)) / 2, abs=1e-10)
    log_p = logsumexp(a, axis=1) - np.log(n)
    log_p_class = np.array(
        [logsumexp(a[r, y == y[c]]) - np.log((y == y[c]).sum()) for r, c in enumerate(comps)]
    )
    assert g == pytest.approx(log_p_class - log_p, abs=1e-10)


def test_chunking_changes_nothing(monkeypatch):
    rng = np.random.default_rng(4)
    T, y = rng.standard_normal((97, 4)), rng.integers(0, 3, 97)
    a = estimate_information(T, y, "noisy", sigma=0.5)
    monkeypatch.setattr(noisy, "BLOCK_ELEMENTS", 500)  # blocks of 5 draws
    b = estimate_information(T, y, "noisy", sigma=0.5)
    assert (b.ixt, b.ity) == pytest.approx((a.ixt, a.ity), abs=1e-12)


def test_noise_drawn_by_block_equals_noise_drawn_at_once(monkeypatch):
    rng = np.random.default_rng(6)
    T, y = rng.standard_normal((60, 3)), np.sort(rng.integers(0, 2, 60))
    comps = noisy.draw_components(60, 250, rng)
    monkeypatch.setattr(noisy, "BLOCK_ELEMENTS", 700)  # blocks of 11 draws
    at_once = noisy.mixture_log_ratios(
        T, y, comps, np.random.default_rng(9).standard_normal((250, 3)), 0.3
    )
    by_block = noisy.mixture_log_ratios(T, y, comps, np.random.default_rng(9), 0.3)
    assert np.array_equal(at_once[0], by_block[0])
    assert np.array_equal(at_once[1], by_block[1])


def test_components_are_stratified():
    comps = noisy.draw_components(10, 37, np.random.default_rng(0))
    counts = np.bincount(comps, minlength=10)
    assert comps.size == 37
    assert set(counts.tolist()) <= {3, 4}
    assert counts.sum() == 37


def test_seed_reproducible_and_generator_accepted():
    T = np.random.default_rng(5).standard_normal((40, 2))
    y = np.arange(40) % 2
    a = estimate_information(T, y, "noisy", seed=7)
    b = estimate_information(T, y, "noisy", seed=np.random.default_rng(7))
    c = estimate_information(T, y, "noisy", seed=8)
    assert a == b
    assert a != c


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sigma": 0}, "The 'sigma' option of estimator 'noisy' must be > 0, got 0."),
        ({"n_samples": 1}, "The 'n_samples' option of estimator 'noisy' must be an int >= 2"),
        ({"seed": "x"}, "The 'seed' option of estimator 'noisy'"),
    ],
)
def test_bad_options(options, message):
    with pytest.raises(InfoplaneError, match=re.escape(message)):
        estimate_information(np.zeros((4, 1)), [0, 1, 0, 1], "noisy", **options)


def test_many_with_stderr_returns_the_monte_carlo_errors():
    from infoplane.estimators import get_estimator

    rng = np.random.default_rng(5)
    Ts = rng.uniform(-1, 1, size=(3, 40, 2))
    y = np.arange(40) % 2
    est = get_estimator("noisy")
    ixt, ity, ixt_se, ity_se = est.many_with_stderr(Ts, y, **est.defaults)
    for k, T in enumerate(Ts):
        one = est.estimate(T, y, **est.defaults)
        assert (ixt[k], ity[k], ixt_se[k], ity_se[k]) == pytest.approx(
            (one.ixt, one.ity, one.ixt_stderr, one.ity_stderr)
        )
    assert (ixt_se > 0).all() and (ity_se > 0).all()
    assert np.array_equal(est.many(Ts, y, **est.defaults)[0], ixt)  # unchanged API
