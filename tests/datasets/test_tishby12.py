import numpy as np
import pytest

from infoplane.datasets.tishby12 import (
    all_patterns,
    icosahedron_faces,
    icosahedron_rotations,
    icosahedron_vertices,
    rule,
    tishby12,
)


def _index(X: np.ndarray) -> np.ndarray:
    return (X.astype(np.int64) << np.arange(X.shape[1])).sum(axis=1)


def test_all_4096_distinct_patterns():
    d = tishby12()
    assert d.X.shape == (4096, 12)
    assert np.unique(d.X, axis=0).shape[0] == 4096
    assert set(np.unique(d.X)) == {0.0, 1.0}


def test_vertices_form_a_regular_icosahedron():
    v = icosahedron_vertices()
    assert np.allclose(np.linalg.norm(v, axis=1), 1)
    gram = np.round(v @ v.T, 9)
    # each vertex: itself, 5 neighbours, 5 second neighbours, 1 antipode
    for row in gram:
        values, counts = np.unique(row, return_counts=True)
        assert counts.tolist() == [1, 5, 5, 1]
        assert np.isclose(values[0], -1) and np.isclose(values[-1], 1)
    assert len(icosahedron_faces()) == 20


def test_sixty_rotations_are_symmetries_of_the_vertices():
    rotations = icosahedron_rotations()
    assert rotations.shape == (60, 12)
    assert len({tuple(p) for p in rotations}) == 60
    gram = icosahedron_vertices() @ icosahedron_vertices().T
    for perm in rotations:
        assert np.allclose(gram[np.ix_(perm, perm)], gram)


def test_labels_invariant_under_all_rotations():
    d = tishby12()
    X = all_patterns()
    for perm in icosahedron_rotations():
        rotated = np.zeros_like(X)
        rotated[:, perm] = X
        assert (d.y[_index(rotated)] == d.y).all()


def test_labels_change_under_a_reflection_free_random_permutation():
    # the invariance above is not trivial: a random permutation of the inputs
    # that is not a rotation changes some labels
    d = tishby12()
    X = all_patterns()
    perm = np.random.default_rng(0).permutation(12)
    rotated = np.zeros_like(X)
    rotated[:, perm] = X
    assert (d.y[_index(rotated)] != d.y).any()


def test_balanced_and_not_a_function_of_the_count():
    d = tishby12()
    assert abs(d.y.mean() - 0.5) <= 0.03
    counts = d.X.sum(axis=1)
    mixed = [c for c in range(13) if 0 < d.y[counts == c].mean() < 1]
    assert len(mixed) >= 3


def test_deterministic_and_p_y_given_x_is_one_hot():
    a, b = tishby12(), tishby12()
    assert (a.y == b.y).all()
    assert np.array_equal(a.p_y_given_x, np.eye(2)[a.y])


def test_soft_rule():
    d = tishby12(soft_labels=1.0, seed=3)
    p1 = d.p_y_given_x[:, 1]
    assert ((p1 > 0) & (p1 < 1)).all()
    assert np.allclose(d.p_y_given_x.sum(axis=1), 1)
    # the soft rule is monotone in f and agrees with the hard rule's side
    hard = tishby12().y
    assert ((p1 > 0.5) == (hard == 1)).all()
    assert np.array_equal(d.y, tishby12(soft_labels=1.0, seed=3).y)
    assert not np.array_equal(d.y, tishby12(soft_labels=1.0, seed=4).y)
    # the draw follows p(y|x): mean label close to mean probability
    assert abs(d.y.mean() - p1.mean()) < 0.03
    f = rule(all_patterns())
    order = np.argsort(f)
    assert (np.diff(p1[order]) >= -1e-12).all()


def test_soft_rule_rejects_bad_gamma():
    from infoplane.errors import InfoplaneError

    with pytest.raises(InfoplaneError, match="gamma"):
        tishby12(soft_labels=-1.0)
