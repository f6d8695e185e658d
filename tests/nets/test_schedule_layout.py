import numpy as np
import pytest

from infoplane.errors import InfoplaneError
from infoplane.nets.layout import Layout
from infoplane.nets.schedule import log_spaced_epochs


@pytest.mark.parametrize("epochs, points", [(10000, 250), (500, 100), (8000, 300), (30, 250)])
def test_log_spaced_epochs(epochs, points):
    e = log_spaced_epochs(epochs, points)
    assert e[0] == 0 and e[1] == 1 and e[-1] == epochs
    assert np.all(np.diff(e) > 0)
    assert len(e) - 1 == min(points, epochs)
    ratios = e[2:] / e[1:-1]
    assert ratios.max() <= 2.0  # no gap wider than a doubling


def test_log_spaced_epochs_rejects_bad_values():
    with pytest.raises(InfoplaneError):
        log_spaced_epochs(0, 10)
    with pytest.raises(InfoplaneError):
        log_spaced_epochs(10, 1)


def test_layout_offsets_and_init():
    layout = Layout((12, 10, 7, 5, 4, 3, 2))
    pairs = zip(layout.sizes, layout.sizes[1:], strict=False)
    assert layout.n_params == sum(a * b + b for a, b in pairs)
    rng = np.random.default_rng(0)
    flats = np.stack([layout.initial_parameters(rng) for _ in range(300)])
    for k, (w, b) in enumerate(layout.unflatten(flats)):
        fan_in = layout.sizes[k]
        assert np.all(b == 0)
        assert np.abs(w).max() <= 2.0 / np.sqrt(fan_in) + 1e-7
        # std of a standard normal truncated at 2: 0.8796
        assert w.std() * np.sqrt(fan_in) == pytest.approx(0.8796, rel=0.05)
