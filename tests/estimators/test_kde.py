"""Kolchinsky-Tracey pairwise bounds: closed forms, the sandwich, properties."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.integrate import quad
from scipy.spatial.distance import cdist
from scipy.special import logsumexp
from scipy.stats import norm

from infoplane import InfoplaneError, estimate_information
from infoplane.estimators import _pairwise, kde


def mixture_information_bits(centres: np.ndarray, sigma2: float) -> float:
    """Exact I(X;T+Z) = h(T+Z) - h(Z) for 1-D equal-weight centres, by quadrature."""
    s = np.sqrt(sigma2)

    def density(v: float) -> float:
        return float(norm.pdf(v, centres, s).mean())

    def integrand(v: float) -> float:
        p = density(v)
        return -p * np.log(p) if p > 0 else 0.0

    lo, hi = centres.min() - 12 * s, centres.max() + 12 * s
    h_mix = quad(integrand, lo, hi, limit=200, points=sorted(set(centres)))[0]
    return (h_mix - 0.5 * np.log(2 * np.pi * np.e * sigma2)) / np.log(2)


def plain_bound_bits(T: np.ndarray, scale: float) -> float:
    """The formula written straightforwardly with a full distance matrix (bits)."""
    d2 = cdist(T, T, "sqeuclidean")
    n = T.shape[0]
    return float(-np.mean(logsumexp(-d2 / scale, axis=1) - np.log(n)) / np.log(2))


@pytest.mark.parametrize("bound", ["upper", "lower"])
def test_well_separated_points_give_log2_n(bound):
    rng = np.random.default_rng(0)
    n = 16
    T = 1000.0 * rng.standard_normal((n, 3))
    y = np.arange(n) % 4
    est = estimate_information(T, y, "kde", bound=bound, sigma2=0.1)
    assert est.ixt == pytest.approx(np.log2(n), abs=0.01)
    assert est.ity == pytest.approx(2.0, abs=0.01)  # H(Y) = 2 bits


@pytest.mark.parametrize("bound", ["upper", "lower"])
def test_heavy_noise_gives_near_zero(bound):
    T = np.random.default_rng(1).uniform(-1, 1, (64, 5))
    est = estimate_information(T, np.arange(64) % 2, "kde", bound=bound, sigma2=1e4)
    assert est.ixt < 1e-3
    assert est.ity < 1e-3


@pytest.mark.parametrize("bound", ["upper", "lower"])
def test_decreases_with_sigma(bound):
    T = np.tanh(np.random.default_rng(2).standard_normal((100, 4)))
    values = [
        estimate_information(T, np.zeros(100), "kde", bound=bound, sigma2=s2).ixt
        for s2 in [1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0]
    ]
    assert all(np.diff(values) < 0)


@pytest.mark.parametrize("distance", [0.1, 1.0, 3.0])
def test_two_points_closed_form(distance):
    sigma2 = 0.5
    T = np.array([[0.0], [distance]])
    upper = np.log2(2) - np.log2(1 + np.exp(-(distance**2) / (2 * sigma2)))
    lower = np.log2(2) - np.log2(1 + np.exp(-(distance**2) / (8 * sigma2)))
    for bound, expected in [("upper", upper), ("lower", lower)]:
        assert estimate_information(T, [0, 1], "kde", bound=bound, sigma2=sigma2).ixt == (
            pytest.approx(expected, rel=1e-12, abs=1e-15)
        )


@pytest.mark.parametrize(
    "centres", [np.array([-0.5, 0.5]), np.array([0.0, 0.0, 2.0]), np.array([0.0, 1.0, 1.5, 4.0])]
)
def test_bounds_sandwich_the_exact_mixture_information(centres):
    sigma2 = 0.5
    exact = mixture_information_bits(centres, sigma2)
    T = centres[:, None]
    y = np.zeros(centres.size)
    lower = estimate_information(T, y, "kde", bound="lower", sigma2=sigma2).ixt
    upper = estimate_information(T, y, "kde", bound="upper", sigma2=sigma2).ixt
    assert lower <= exact + 1e-9
    assert exact <= upper + 1e-9


def layer(n: int, units: int, seed: int, classes: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """A tanh layer of random inputs, like the networks' activations, and labels."""
    rng = np.random.default_rng(seed)
    T = np.tanh(rng.standard_normal((n, units)) @ rng.standard_normal((units, units)))
    return T, rng.integers(0, classes, n)


@pytest.mark.parametrize(
    ("n", "units", "classes"), [(300, 1, 2), (700, 3, 3), (1200, 10, 2), (1500, 12, 5)]
)
@pytest.mark.parametrize("bound", ["upper", "lower"])
def test_fast_path_equals_the_plain_float64_formula(n, units, classes, bound):
    T, y = layer(n, units, seed=n, classes=classes)
    reference = kde._reference(T, y, bound, 0.1)
    for data in (T, T + 1e3):  # far from 0: float32 must not lose the shift invariance
        est = estimate_information(data, y, "kde", bound=bound, sigma2=0.1)
        assert est.ixt == pytest.approx(reference.ixt, abs=1e-4)
        assert est.ity == pytest.approx(reference.ity, abs=1e-4)


def test_reference_matches_the_formula_written_out():
    T, y = layer(120, 4, seed=3)
    expected = plain_bound_bits(T, 2.0 * 0.7)
    assert kde._reference(T, y, "upper", 0.7).ixt == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("units", [1, 10])
def test_float32_is_chosen_where_it_is_accurate(units):
    # the benchmark's shape takes the float32 kernel, and it agrees with float64
    T, y = layer(1024, units, seed=units)
    centred = T - T.mean(axis=0)
    order = np.argsort(y, kind="stable")
    starts = np.concatenate([[0], np.cumsum(np.bincount(y))])
    assert _pairwise.work_dtype(1024, units, _pairwise.max_norm(centred), 0.2) is np.float32
    fast = _pairwise.kde_log_sums(centred[order], y[order], starts, 0.2, np.float32)
    exact = _pairwise.kde_log_sums(centred[order], y[order], starts, 0.2, np.float64)
    assert np.abs(fast[0] - exact[0]).max() < 1e-5
    assert np.abs(fast[1] - exact[1]).max() < 1e-5


def test_float64_where_float32_would_round_too_much():
    assert _pairwise.work_dtype(4096, 10, 1e3, 0.2) is np.float64  # unscaled activations
    assert _pairwise.work_dtype(100, 1, 1.0, 0.2) is np.float64  # small: nothing to gain


def test_torch_tensors_give_the_numpy_values():
    torch = pytest.importorskip("torch")
    T, y = layer(600, 5, seed=9)
    for bound in ("upper", "lower"):
        expected = kde.kde_information(T, y, bound=bound)
        on_torch = kde.kde_information(torch.as_tensor(T), torch.as_tensor(y), bound=bound)
        assert on_torch.ixt == pytest.approx(expected.ixt, abs=1e-4)
        assert on_torch.ity == pytest.approx(expected.ity, abs=1e-4)
        by_option = kde.kde_information(T, y, bound=bound, device="cpu")
        assert by_option.ixt == pytest.approx(expected.ixt, abs=1e-4)


def test_on_cuda_gives_the_numpy_values():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device on this machine")
    T, y = layer(2000, 10, seed=11)
    expected = kde.kde_information(T, y)
    on_gpu = kde.kde_information(T, y, device="cuda")
    assert on_gpu.ixt == pytest.approx(expected.ixt, abs=1e-4)
    assert on_gpu.ity == pytest.approx(expected.ity, abs=1e-4)


points = st.integers(2, 30).flatmap(
    lambda n: st.tuples(
        arrays(np.float64, st.tuples(st.just(n), st.integers(1, 3)), elements=st.floats(-3, 3)),
        arrays(np.int64, n, elements=st.integers(0, 2)),
    )
)


@settings(max_examples=40, deadline=None)
@given(points, st.floats(1e-3, 1e2))
def test_lower_bound_below_upper_bound(layer, sigma2):
    T, y = layer
    lower = estimate_information(T, y, "kde", bound="lower", sigma2=sigma2)
    upper = estimate_information(T, y, "kde", bound="upper", sigma2=sigma2)
    assert lower.ixt <= upper.ixt + 1e-12
    assert 0.0 <= lower.ixt
    assert upper.ixt <= np.log2(T.shape[0]) + 1e-12


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sigma2": -1}, "The 'sigma2' option of estimator 'kde' must be > 0, got -1."),
        ({"sigma2": float("nan")}, "'sigma2' option"),
        ({"bound": "mid"}, "The 'bound' option of estimator 'kde' must be 'upper' or 'lower'"),
    ],
)
def test_bad_options(options, message):
    with pytest.raises(InfoplaneError, match=re.escape(message)):
        estimate_information(np.zeros((4, 1)), [0, 1, 0, 1], "kde", **options)
