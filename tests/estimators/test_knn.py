"""k-NN estimators: Gaussian channels (closed form), a Gaussian class mixture
(quadrature), an independent brute-force KSG, and the options."""

import re

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.spatial.distance import cdist
from scipy.special import digamma
from scipy.stats import norm

from infoplane import InfoplaneError, estimate_information
from infoplane.estimators.knn import ksg_mutual_information

N = 4096


def gaussian_channel(dim: int, snr: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """X ~ N(0, I), T = X + N(0, I / snr): I(X;T) = (dim / 2) log2(1 + snr) bits."""
    rng = np.random.default_rng([dim, int(100 * snr), seed])
    X = rng.standard_normal((N, dim))
    return X, X + rng.standard_normal((N, dim)) / np.sqrt(snr)


@pytest.mark.parametrize(
    ("dim", "snr"),
    [(1, 0.5), (1, 1.0), (1, 3.0), (2, 0.25), (2, 1.0), (2, 4.0), (5, 0.1), (5, 0.25)],
)
def test_gaussian_channel(dim, snr):
    X, T = gaussian_channel(dim, snr, seed=0)
    est = estimate_information(T, np.zeros(N), "knn", X=X)
    exact = 0.5 * dim * np.log2(1 + snr)
    assert abs(est.ixt - exact) <= 0.05 * dim


def test_known_negative_bias_for_strong_dependence_in_5_dimensions():
    # KSG underestimates strong dependence in many dimensions (Gao et al. 2015): at
    # n = 4096, SNR 1 in 5 dimensions it gives about 2.0 of the exact 2.5 bits. This
    # pins the documented caveat (docs/estimators.md); it is not a goal.
    X, T = gaussian_channel(5, 1.0, seed=0)
    est = estimate_information(T, np.zeros(N), "knn", X=X)
    assert 0.6 * 2.5 < est.ixt < 2.5 - 0.25


def test_gaussian_class_mixture_for_ross():
    a = 1.0  # T | Y=y ~ N(+-a, 1), p(y) = 1/2
    p = lambda v: 0.5 * norm.pdf(v, -a) + 0.5 * norm.pdf(v, a)  # noqa: E731
    h_t = quad(lambda v: -p(v) * np.log(p(v)), -a - 12, a + 12, limit=200)[0]
    exact = (h_t - 0.5 * np.log(2 * np.pi * np.e)) / np.log(2)
    values = []
    for seed in range(3):
        rng = np.random.default_rng(seed)
        y = rng.integers(0, 2, N)
        T = (2 * y - 1) * a + rng.standard_normal(N)
        values.append(estimate_information(T, y, "knn", X=T).ity)
    assert np.mean(values) == pytest.approx(exact, abs=0.04)


def test_independent_variables_give_near_zero():
    rng = np.random.default_rng(5)
    X, T, y = rng.standard_normal((N, 2)), rng.standard_normal((N, 2)), rng.integers(0, 2, N)
    est = estimate_information(T, y, "knn", X=X)
    assert 0.0 <= est.ixt < 0.03
    assert 0.0 <= est.ity < 0.03


def brute_force_ksg(X: np.ndarray, T: np.ndarray, k: int) -> float:
    dx, dt = cdist(X, X, "chebyshev"), cdist(T, T, "chebyshev")
    dz = np.maximum(dx, dt)
    np.fill_diagonal(dz, np.inf)
    eps = np.sort(dz, axis=1)[:, k - 1]
    n_x = (dx < eps[:, None]).sum(axis=1) - 1
    n_t = (dt < eps[:, None]).sum(axis=1) - 1
    n = X.shape[0]
    return float(digamma(k) + digamma(n) - np.mean(digamma(n_x + 1) + digamma(n_t + 1)))


@pytest.mark.parametrize("k", [1, 3, 6])
def test_kdtree_ksg_agrees_with_brute_force(k):
    rng = np.random.default_rng(k)
    X = rng.standard_normal((300, 3))
    T = np.tanh(X @ rng.standard_normal((3, 2))) + 0.3 * rng.standard_normal((300, 2))
    assert ksg_mutual_information(X, T, k) == pytest.approx(brute_force_ksg(X, T, k), abs=1e-12)


def test_ties_are_broken_and_the_seed_is_honoured():
    rng = np.random.default_rng(6)
    X = rng.integers(0, 2, (200, 4)).astype(float)  # many exact ties
    T = np.round(X @ rng.standard_normal((4, 2)), 1)
    y = rng.integers(0, 2, 200)
    a = estimate_information(T, y, "knn", X=X, seed=1)
    b = estimate_information(T, y, "knn", X=X, seed=1)
    c = estimate_information(T, y, "knn", X=X, seed=np.random.default_rng(1))
    assert np.isfinite([a.ixt, a.ity]).all()
    assert (a.ixt, a.ity) == (b.ixt, b.ity) == (c.ixt, c.ity)


def test_needs_the_inputs():
    with pytest.raises(InfoplaneError, match="needs the inputs"):
        estimate_information(np.zeros((10, 2)), np.zeros(10), "knn")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"k": 0}, "The 'k' option of estimator 'knn' must be an int >= 1, got 0."),
        ({"k": 10}, "The 'k' option of estimator 'knn' must be smaller than the number"),
        ({"seed": -1}, "The 'seed' option of estimator 'knn' must be an int >= 0"),
        ({"k": 2.5}, "The 'k' option of estimator 'knn' must be an int >= 1, got 2.5."),
        ({"seed": "a"}, "The 'seed' option of estimator 'knn' must be an int >= 0"),
    ],
)
def test_bad_options(options, message):
    T = np.arange(8.0)[:, None]
    with pytest.raises(InfoplaneError, match=re.escape(message)):
        estimate_information(T, np.zeros(8), "knn", X=T, **options)


def test_parallel_queries_change_no_value(monkeypatch):
    from infoplane.estimators import knn

    rng = np.random.default_rng(12)
    X = rng.integers(0, 2, (3000, 12)).astype(float)
    T = np.tanh(X @ rng.standard_normal((12, 4)))
    y = rng.integers(0, 2, 3000)
    parallel = estimate_information(T, y, "knn", X=X)
    monkeypatch.setattr(knn, "WORKERS", 1)
    assert estimate_information(T, y, "knn", X=X) == parallel

@pytest.mark.parametrize("offset", [0.0, 1e3, 1e5, -1e8])
@pytest.mark.parametrize("scale", [1.0, 1e-6, 1e6])
def test_a_layer_with_ties_gives_the_same_ity_for_every_shift_and_scale(offset, scale):
    # T = label + offset was 1.0005, 1.332, 0.0 bits at offsets 0, 1e3, 1e5: the jitter
    # vanished next to large values; T is a function of Y, so I(T;Y) = H(Y) = 1 bit
    rng = np.random.default_rng(7)
    y = rng.permutation(np.arange(400) % 2)
    X = rng.standard_normal((400, 2))
    reference = estimate_information(y.astype(float), y, "knn", X=X).ity
    est = estimate_information(scale * y + offset, y, "knn", X=X)
    assert reference == pytest.approx(1.0, abs=0.02)
    assert est.ity == pytest.approx(reference, abs=1e-3)


def test_every_sample_its_own_label_is_a_one_line_error():
    T = np.random.default_rng(8).standard_normal((50, 2))
    with pytest.raises(InfoplaneError, match="no class has two members"):
        estimate_information(T, np.arange(50), "knn", X=T)


def test_samples_alone_in_their_class_are_left_out_with_a_warning():
    T = np.random.default_rng(9).standard_normal((50, 2))
    y = np.concatenate([np.arange(48) % 2, [5, 6]])
    with pytest.warns(UserWarning, match="2 of 50 samples are alone in their class"):
        estimate_information(T, y, "knn", X=T)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_inputs_are_a_one_line_error(bad):
    X = np.random.default_rng(10).standard_normal((20, 2))
    X[3, 1] = bad
    with pytest.raises(InfoplaneError, match="inputs X contain NaN or infinite values"):
        estimate_information(X[:, :1], np.arange(20) % 2, "knn", X=X)
