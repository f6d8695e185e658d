import numpy as np
import pytest
from scipy.io import savemat

from infoplane.datasets import load_dataset, tishby12
from infoplane.errors import InfoplaneError


@pytest.mark.parametrize("shape", ["row", "column", "flat", "onehot"])
def test_mat_like_the_papers_file(tmp_path, shape):
    d = tishby12()
    y = {
        "row": d.y[None, :].astype(np.uint8),
        "column": d.y[:, None].astype(np.uint8),
        "flat": d.y.astype(np.uint8),
        "onehot": np.eye(2, dtype=np.uint8)[d.y],
    }[shape]
    path = tmp_path / "var_u.mat"
    savemat(path, {"F": d.X.astype(np.uint8), "y": y})
    loaded = load_dataset(str(path))
    assert loaded.X.shape == (4096, 12) and loaded.X.dtype == np.float32
    assert np.array_equal(loaded.X, d.X)
    assert np.array_equal(loaded.y, d.y)
    assert loaded.name == "var_u"


def test_npz(tmp_path):
    path = tmp_path / "data.npz"
    X = np.random.default_rng(0).normal(size=(50, 3))
    y = np.arange(50) % 3
    np.savez(path, X=X, y=y)
    loaded = load_dataset(str(path))
    assert loaded.n_classes == 3 and np.allclose(loaded.X, X)


def _write_npz(path, **arrays):
    np.savez(path, **arrays)
    return str(path)


@pytest.mark.parametrize(
    "arrays, message",
    [
        ({"X": np.zeros((4, 2))}, "missing array 'y'"),
        ({"X": np.zeros((4, 2)), "y": np.array([0, 1, 0])}, "do not match 4 input rows"),
        ({"X": np.zeros(4), "y": np.array([0, 1, 0, 1])}, "2-D"),
        ({"X": np.full((2, 2), np.nan), "y": np.array([0, 1])}, "NaN"),
        ({"X": np.zeros((2, 2)), "y": np.array([0.5, 1])}, "non-negative integers"),
        ({"X": np.zeros((2, 2)), "y": np.array([1, 1])}, "single value"),
        ({"X": np.zeros((2, 2)), "y": np.array([[1, 1], [0, 1]])}, "not one-hot"),
    ],
)
def test_malformed_npz(tmp_path, arrays, message):
    path = _write_npz(tmp_path / "bad.npz", **arrays)
    with pytest.raises(InfoplaneError, match=message) as err:
        load_dataset(path)
    assert "bad.npz" in str(err.value) and "\n" not in str(err.value)


def test_npz_needing_pickle_is_refused(tmp_path):
    path = tmp_path / "obj.npz"
    np.savez(path, X=np.array([object()] * 4, dtype=object), y=np.array([0, 1, 0, 1]))
    with pytest.raises(InfoplaneError, match="unpickling"):
        load_dataset(str(path))


def test_corrupt_and_missing_files(tmp_path):
    bad = tmp_path / "broken.mat"
    bad.write_bytes(b"not a mat file at all")
    with pytest.raises(InfoplaneError, match="broken.mat"):
        load_dataset(str(bad))
    with pytest.raises(InfoplaneError, match="no such data file"):
        load_dataset(str(tmp_path / "absent.npz"))
    other = tmp_path / "data.csv"
    other.write_text("1,2\n")
    with pytest.raises(InfoplaneError, match="unknown data file type"):
        load_dataset(str(other))


def test_mat_missing_key(tmp_path):
    path = tmp_path / "m.mat"
    savemat(path, {"X": np.zeros((3, 2))})
    with pytest.raises(InfoplaneError, match="missing array 'F'"):
        load_dataset(str(path))
