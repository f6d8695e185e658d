"""The compiled pairwise kernels' vectorised exp: accuracy over the whole range used."""

import numpy as np
import pytest

from infoplane.estimators import _pairwise


@pytest.mark.parametrize(
    ("dtype", "flush", "rel"), [(np.float32, 86.0, 1e-6), (np.float64, 707.0, 1e-13)]
)
def test_exp_matches_numpy(dtype, flush, rel):
    d2 = np.concatenate([[0.0], np.geomspace(1e-12, 1.0, 500), np.linspace(0, 800, 20001)])
    d2 = d2.astype(dtype)
    e = np.empty_like(d2)
    _pairwise._exp_into(d2, 0.0, 1.0, 0, d2.size, e, np.empty(d2.size, np.int32))
    exact = np.exp(-d2.astype(np.float64))
    kept = d2 <= flush
    assert e[0] == 1.0
    assert np.abs(e[kept] / exact[kept] - 1.0).max() < rel
    assert np.all(e >= 0.0)
    assert e[~kept].max() < 1e-37 if dtype is np.float32 else e[~kept].max() < 1e-306


def test_exp_with_a_shift():
    d2 = np.linspace(2.0, 12.0, 1001)
    e = np.empty_like(d2)
    _pairwise._exp_into(d2, 2.0, 0.5, 0, d2.size, e, np.empty(d2.size, np.int32))
    assert e == pytest.approx(np.exp((2.0 - d2) * 0.5), rel=1e-13)
