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


def layer(n: int, units: int, seed: int, classes: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """A tanh layer of random inputs, like the networks' activations, and labels."""
    rng = np.random.default_rng(seed)
    T = np.tanh(rng.standard_normal((n, units)) @ rng.standard_normal((units, units)))
    return T, rng.integers(0, classes, n)


@pytest.mark.parametrize(
    ("n", "units", "sigma"), [(300, 1, 0.05), (600, 3, 0.1), (1000, 10, 0.1), (1200, 12, 0.3)]
)
def test_fast_path_equals_the_plain_float64_formula(n, units, sigma):
    # same draws, so the two agree far inside the Monte Carlo error
    T, y = layer(n, units, seed=n)
    reference = noisy._reference(T, y, sigma, None, 0)
    for data in (T, T + 1e3):  # far from 0: float32 must not lose the shift invariance
        est = estimate_information(data, y, "noisy", sigma=sigma)
        assert est.ixt == pytest.approx(reference.ixt, abs=1e-4)
        assert est.ity == pytest.approx(reference.ity, abs=1e-4)
        assert est.ixt_stderr == pytest.approx(reference.ixt_stderr, abs=1e-5)


def test_float32_per_draw_terms_match_float64():
    rng = np.random.default_rng(4)
    T = np.tanh(rng.standard_normal((400, 4)))
    y = np.sort(rng.integers(0, 2, 400))
    comps = noisy.draw_components(400, 900, rng)
    Z = rng.standard_normal((900, 4))
    fast = noisy.mixture_log_ratios(T, y, comps, Z, 0.2, dtype=np.float32)
    exact = noisy._reference_log_ratios(T - T.mean(axis=0), y, comps, Z, 0.2)
    assert np.abs(fast[0] - exact[0]).max() < 1e-5
    assert np.abs(fast[1] - exact[1]).max() < 1e-5


def test_class_sums_far_below_the_largest_term_in_float32():
    # 400 units: the draw v = t_0 + sigma z sits on the class-1 centre, about 200 nats
    # above its own class's terms, which float32 would flush (exp(-200)): the class
    # sum is redone with its own shift
    sigma = 0.1
    z = np.random.default_rng(5).standard_normal((1, 400))
    t0 = np.zeros(400)
    T = np.stack([t0, t0 + 0.5 * sigma * np.eye(400)[0], t0 + sigma * z[0]])
    y, comps = np.array([0, 0, 1]), np.array([0])
    fast = noisy.mixture_log_ratios(T, y, comps, z, sigma, dtype=np.float32)
    exact = noisy._reference_log_ratios(T - T.mean(axis=0), y, comps, z, sigma)
    assert exact[1][0] < -150
    assert fast[0] == pytest.approx(exact[0], abs=1e-3)
    assert fast[1] == pytest.approx(exact[1], abs=1e-3)


def test_torch_tensors_give_the_numpy_values():
    torch = pytest.importorskip("torch")
    T, y = layer(600, 5, seed=9)
    expected = noisy.noisy_information(T, y, sigma=0.2)
    on_torch = noisy.noisy_information(torch.as_tensor(T), torch.as_tensor(y), sigma=0.2)
    by_option = noisy.noisy_information(T, y, sigma=0.2, device="cpu")
    for est in (on_torch, by_option):
        assert est.ixt == pytest.approx(expected.ixt, abs=1e-4)
        assert est.ity == pytest.approx(expected.ity, abs=1e-4)


def test_on_cuda_gives_the_numpy_values():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device on this machine")
    T, y = layer(2000, 10, seed=11)
    expected = noisy.noisy_information(T, y)
    on_gpu = noisy.noisy_information(T, y, device="cuda")
    assert on_gpu.ixt == pytest.approx(expected.ixt, abs=1e-4)
    assert on_gpu.ity == pytest.approx(expected.ity, abs=1e-4)


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
