import numpy as np
import pandas as pd
import pytest

from infoplane.cli import main
from infoplane.datasets import BUILT_IN, digits, load_dataset
from infoplane.errors import InfoplaneError


def test_digits_shape_scale_and_labels():
    data = load_dataset("digits")
    assert "digits" in BUILT_IN and data.name == "digits"
    assert data.X.shape == (1797, 64) and data.X.dtype == np.float32
    assert data.X.min() == 0.0 and data.X.max() == 1.0
    assert data.y.dtype == np.int64 and data.n_classes == 10
    assert np.bincount(data.y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert data.label_values.tolist() == list(range(10))
    assert data.probe is None and data.test_mask is None  # probed on all 1797 images
    assert data.input_shape == (8, 8)
    assert np.array_equal(digits().X, data.X)


def test_run_on_digits(tmp_path):
    out = tmp_path / "run"
    code = main(["run", "--dataset", "digits", "--epochs", "3", "--seeds", "1", "--widths",
                 "10", "--log-epochs", "3", "--out", str(out), "--quiet"])
    assert code == 0
    info = pd.read_parquet(out / "information.parquet")
    assert sorted(info["layer"].unique()) == [1, 2]
    assert (info["ixt"] <= np.log2(1797) + 1e-9).all()
    training = pd.read_parquet(out / "training.parquet")
    assert training["test_accuracy"].notna().all()


def test_unknown_name_lists_the_built_in_data_sets():
    with pytest.raises(InfoplaneError, match="no data set or file named 'mnist' "
                       "\\(built-in: ico12, tishby12, digits\\)"):
        load_dataset("mnist")
