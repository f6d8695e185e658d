import numpy as np
import pytest

from infoplane.analysis import input_label_information
from infoplane.config import RunConfig
from infoplane.datasets import BUILT_IN, load_dataset
from infoplane.datasets.ico12 import THETA, ico12, score
from infoplane.datasets.tishby12 import all_patterns, icosahedron_rotations, tishby12
from infoplane.errors import InfoplaneError

VAR_U_PROFILE = {5: 0.076, 6: 0.576, 7: 0.924}
"""p(y=1 | w active inputs) of the paper's var_u.mat; 0 below w = 5, 1 above w = 7."""


def _index(X: np.ndarray) -> np.ndarray:
    return (X.astype(np.int64) << np.arange(X.shape[1])).sum(axis=1)


def test_all_4096_distinct_patterns():
    d = ico12()
    assert d.X.shape == (4096, 12)
    assert np.unique(d.X, axis=0).shape[0] == 4096
    assert d.name == "ico12"


def test_labels_invariant_under_all_sixty_rotations():
    d = ico12()
    X = all_patterns()
    for perm in icosahedron_rotations():
        rotated = np.zeros_like(X)
        rotated[:, perm] = X
        assert (d.y[_index(rotated)] == d.y).all()
        assert np.array_equal(score(rotated), score(X))


def test_invariance_is_not_trivial():
    d = ico12()
    X = all_patterns()
    perm = np.random.default_rng(0).permutation(12)
    permuted = np.zeros_like(X)
    permuted[:, perm] = X
    assert (d.y[_index(permuted)] != d.y).any()


@pytest.mark.parametrize("w", range(13))
def test_label_profile_over_active_inputs_matches_var_u(w):
    d = ico12()
    active = d.X.sum(axis=1) == w
    target = 0.0 if w <= 4 else 1.0 if w >= 8 else VAR_U_PROFILE[w]
    assert abs(d.y[active].mean() - target) <= 0.05


def test_balance_and_deterministic_information():
    d = ico12()
    assert abs(d.y.mean() - 0.52) <= 0.01
    p = d.y.mean()
    h_y = -(p * np.log2(p) + (1 - p) * np.log2(1 - p))
    assert input_label_information(d.p_y_given_x) == pytest.approx(h_y, abs=1e-12)
    assert np.array_equal(d.p_y_given_x, np.eye(2)[d.y])


def test_no_score_lies_near_the_threshold():
    # the label does not hinge on float rounding
    s = score(all_patterns())
    assert np.abs(s - THETA).min() > 0.04


def test_soft_rule_follows_the_same_score():
    d = ico12(soft_labels=10.0, seed=3)
    p1 = d.p_y_given_x[:, 1]
    near = np.abs(score(all_patterns()) - THETA) < 2
    assert ((p1[near] > 0) & (p1[near] < 1)).all()
    assert ((p1 > 0.5) == (ico12().y == 1)).all()
    order = np.argsort(score(all_patterns()))
    assert (np.diff(p1[order]) >= -1e-12).all()
    assert np.array_equal(d.y, ico12(soft_labels=10.0, seed=3).y)
    assert abs(d.y.mean() - p1.mean()) < 0.03
    assert 0.85 < input_label_information(d.p_y_given_x) < 0.95
    with pytest.raises(InfoplaneError, match="gamma"):
        ico12(soft_labels=0.0)


def test_default_task_and_tishby12_unchanged_by_name():
    assert RunConfig().dataset == "ico12"
    assert "ico12" in RunConfig().to_toml()
    assert set(BUILT_IN) == {"ico12", "tishby12", "digits"}
    assert np.array_equal(load_dataset("ico12").y, ico12().y)
    assert np.array_equal(load_dataset("tishby12").y, tishby12().y)
    assert not np.array_equal(ico12().y, tishby12().y)
    assert load_dataset("ico12", soft_labels=2.0).name == "ico12-soft2"
