"""The contract every registered estimator keeps (one test, all estimators)."""

import numpy as np
import pytest

from infoplane import InformationEstimate, available_estimators, estimate_information
from infoplane.estimators import get_estimator

N, UNITS, INPUTS = 120, 3, 4


def h_y_bits(y: np.ndarray) -> float:
    p = np.bincount(y) / y.size
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, INPUTS))
    y = (X[:, 0] + 0.5 * rng.standard_normal(N) > 0).astype(int) + (X[:, 1] > 1)
    T = np.tanh(X @ rng.standard_normal((INPUTS, UNITS)))
    return X, T, y


def tolerance(a: InformationEstimate, b: InformationEstimate, which: str) -> float:
    """How far two estimates on permuted copies of the data may differ.

    Deterministic estimators (no stderr) only re-order sums: 1e-9 bits. knn's jitter
    (1e-10 of a std) moves with the permuted rows or units but cannot reorder
    distances of continuous data, so it also gets 1e-9. Monte Carlo estimators see
    other noise draws against the permuted centres: the difference of two means with
    standard errors s1, s2 has standard deviation at most s1 + s2, whatever their
    correlation, so 4 (s1 + s2) fails by chance with probability < 1e-4.
    """
    s1, s2 = getattr(a, f"{which}_stderr"), getattr(b, f"{which}_stderr")
    return 1e-9 if s1 is None else 4 * (s1 + s2)


@pytest.mark.parametrize("name", available_estimators())
def test_contract(name, data):
    X, T, y = data
    est = estimate_information(T, y, name, X=X)
    assert isinstance(est, InformationEstimate)
    for value in (est.ixt, est.ity):
        assert type(value) is float
    for stderr in (est.ixt_stderr, est.ity_stderr):
        assert stderr is None or (type(stderr) is float and stderr >= 0)
    assert est.ixt >= 0.0
    assert est.ity >= 0.0
    # Ross's knn estimate may exceed H(Y) by about (K - 1) / (2 n ln 2) = 0.01 bits here,
    # the gap between psi and ln; the others are <= H(Y) up to rounding.
    assert est.ity <= h_y_bits(y) + 0.02

    rng = np.random.default_rng(1)
    rows, cols = rng.permutation(N), rng.permutation(UNITS)
    perm = estimate_information(T[rows][:, cols], y[rows], name, X=X[rows])
    for which in ("ixt", "ity"):
        assert getattr(perm, which) == pytest.approx(
            getattr(est, which), abs=tolerance(est, perm, which)
        )


@pytest.mark.parametrize("name", available_estimators())
def test_registration(name):
    est = get_estimator(name)
    assert est.name == name
    assert est.measures and "\n" not in est.measures
    assert est.needs_inputs == (name == "knn")


@pytest.mark.parametrize("name", available_estimators())
def test_many_matches_one_at_a_time(name, data):
    X, T, y = data
    Ts = np.stack([T, 0.5 * T, T**3])
    estimator = get_estimator(name)
    ixt, ity = estimator.many(Ts, y, X=X, **estimator.defaults)
    for point, layer in enumerate(Ts):
        one = estimate_information(layer, y, name, X=X)
        assert (ixt[point], ity[point]) == pytest.approx((one.ixt, one.ity), abs=1e-9)
