"""scikit-learn's bundled 8x8 handwritten digits: 1797 real images, nothing downloaded."""

from __future__ import annotations

from infoplane.datasets._checks import labelled
from infoplane.datasets._dataset import Dataset


def digits() -> Dataset:
    """The ``digits`` data set: 1797 images of 8 x 8 pixels, 10 classes (0-9).

    ``X`` is (1797, 64) float32, the pixel intensities (0..16 in the source) scaled
    to [0, 1], each row an 8 x 8 image (``input_shape``); ``y`` the digit. It ships
    with scikit-learn (the UCI optical recognition of handwritten digits test set),
    so nothing is downloaded.
    """
    from sklearn.datasets import load_digits

    source = load_digits()
    return labelled("digits", source.data / 16.0, source.target, "digits", input_shape=(8, 8))
