import json
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.io import savemat

from infoplane.cli import main
from infoplane.config import RunConfig
from infoplane.datasets import load_dataset, tishby12
from infoplane.errors import InfoplaneError
from infoplane.nets.ensemble import make_setup


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
        ({"X": np.zeros((2, 2)), "y": np.array([0.5, 1])}, "labels must be integers"),
        ({"X": np.zeros((2, 2)), "y": np.array(["a", "b"])}, "labels must be integers"),
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
    other = tmp_path / "data.txt"
    other.write_text("1,2\n")
    with pytest.raises(InfoplaneError, match="unknown data file type"):
        load_dataset(str(other))


def test_mat_missing_key(tmp_path):
    path = tmp_path / "m.mat"
    savemat(path, {"X": np.zeros((3, 2))})
    with pytest.raises(InfoplaneError, match="missing array 'F'"):
        load_dataset(str(path))


@pytest.mark.parametrize(
    "labels, values",
    [([3, 7], [3, 7]), ([1, 2], [1, 2]), ([0, 1e9], [0, 1_000_000_000]), ([-1, 1], [-1, 1])],
)
def test_labels_are_recoded_to_class_indices(tmp_path, labels, values):
    y = np.array(labels)[np.arange(40) % 2]
    path = _write_npz(tmp_path / "l.npz", X=np.random.default_rng(0).normal(size=(40, 3)), y=y)
    loaded = load_dataset(path)
    assert loaded.n_classes == 2
    assert np.array_equal(loaded.y, np.arange(40) % 2)
    assert loaded.label_values.tolist() == values
    assert loaded.p_y_given_x.shape == (40, 2)
    assert np.array_equal(loaded.p_y_given_x.argmax(axis=1), loaded.y)
    assert json.loads(loaded.labels_json()) == {"label_values": values}


def test_mat_labels_from_one_are_recoded(tmp_path):
    path = tmp_path / "matlab.mat"
    savemat(path, {"F": np.eye(4), "y": np.array([[1, 2, 2, 1]])})
    loaded = load_dataset(str(path))
    assert loaded.y.tolist() == [0, 1, 1, 0] and loaded.label_values.tolist() == [1, 2]


def test_bad_npz_files_give_one_line(tmp_path):
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    npy = tmp_path / "array.npz"
    with npy.open("wb") as handle:
        np.save(handle, np.zeros((4, 2)))
    no_y = _write_npz(tmp_path / "no_y.npz", X=np.zeros((4, 2)))
    no_arrays = _write_npz(tmp_path / "none.npz")
    cases = [
        (empty, "file is empty"), (npy, "single .npy array, not a .npz archive"),
        (no_y, "missing array 'y' \\(found: X\\)"), (no_arrays, "missing array 'X'"),
    ]
    for path, message in cases:
        with pytest.raises(InfoplaneError, match=message) as err:
            load_dataset(str(path))
        assert "\n" not in str(err.value) and "unpickling" not in str(err.value)


@pytest.mark.parametrize(
    "X, message",
    [
        (np.array([[1 + 2j, 0], [0, 1]]), "real numbers"),
        (np.array([[1e39, 0], [0, 1]]), "beyond float32's range"),
        (np.array([[-1e300, 0], [0, 1]]), "beyond float32's range"),
    ],
)
def test_inputs_float32_cannot_hold_are_refused(tmp_path, X, message):
    path = _write_npz(tmp_path / "x.npz", X=X, y=np.array([0, 1]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning / overflow on the way
        with pytest.raises(InfoplaneError, match=message):
            load_dataset(path)


def test_cli_rejects_bad_data_files_before_training(tmp_path, capsys):
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    npy = tmp_path / "array.npz"
    with npy.open("wb") as handle:
        np.save(handle, np.zeros((4, 2)))
    bad = [
        empty, npy, _write_npz(tmp_path / "no_y.npz", X=np.zeros((4, 2))),
        _write_npz(tmp_path / "cx.npz", X=np.ones((4, 2), complex), y=np.arange(4) % 2),
        _write_npz(tmp_path / "big.npz", X=np.full((4, 2), 1e40), y=np.arange(4) % 2),
    ]
    for k, path in enumerate(bad):
        out = tmp_path / f"out{k}"
        code = main(["run", "--dataset", str(path), "--epochs", "5", "--seeds", "1",
                     "--out", str(out), "--quiet"])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1 and err.startswith("infoplane: error:")
        assert not out.exists()


def test_run_on_labels_three_and_seven_has_two_output_units(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    y = np.where(X[:, 0] > 0, 7, 3)
    path = _write_npz(tmp_path / "37.npz", X=X, y=y)
    config = RunConfig(dataset=path, epochs=5, seeds=1, widths=(6,), log_epochs=3)
    assert make_setup(config, load_dataset(path)).layout.sizes[-1] == 2
    out = tmp_path / "run"
    code = main(["run", "--dataset", path, "--epochs", "5", "--seeds", "1", "--widths", "6",
                 "--log-epochs", "3", "--out", str(out), "--quiet"])
    assert code == 0
    assert json.loads((out / "labels.json").read_text()) == {"label_values": [3, 7]}
    training = pd.read_parquet(out / "training.parquet")
    start = training[training["epoch"] == 0]["train_loss"].iloc[0]
    assert abs(start - np.log(2)) < 0.25  # two classes: chance is ln 2 = 0.69 nats
