"""Loss and accuracy of softmax outputs, against NumPy."""

import numpy as np

from infoplane.nets._metrics import PROB_FLOOR, output_metrics


def _numpy_metrics(probs, y, mask, floor):
    p_true = np.take_along_axis(probs, y[None, :, None], axis=2)[..., 0].astype(np.float64)
    loss = -np.log(np.maximum(p_true, floor))
    right = probs.argmax(axis=2) == y[None, :]
    out = []
    for m in (mask, ~mask):
        n = m.sum(axis=1)
        with np.errstate(invalid="ignore"):
            out += [(loss * m).sum(axis=1) / n, (right * m).sum(axis=1) / n]
    return np.stack(out, axis=1)


def test_matches_numpy_on_a_strided_stack_with_three_classes():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(4, 3, 500)).astype(np.float32)  # unit-major, as the kernel
    probs = (np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)).transpose(0, 2, 1)
    probs[0, :7] = 0.0  # p[y] = 0: the floor keeps the loss finite
    y = rng.integers(0, 3, 500)
    mask = rng.random((4, 500)) < 0.8
    got = output_metrics(probs, y, mask)
    np.testing.assert_allclose(got, _numpy_metrics(probs, y, mask, PROB_FLOOR), rtol=1e-12)
    assert np.isfinite(got).all()


def test_ties_go_to_the_first_class_and_an_empty_test_set_is_nan():
    probs = np.full((1, 4, 2), 0.5, dtype=np.float32)
    y = np.array([0, 1, 0, 1])
    got = output_metrics(probs, y, np.ones((1, 4), dtype=bool))
    np.testing.assert_allclose(got[0, :2], [np.log(2), 0.5])
    assert np.isnan(got[0, 2:]).all()
