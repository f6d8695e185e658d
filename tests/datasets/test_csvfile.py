import gzip

import numpy as np
import pytest

from infoplane.cli import main
from infoplane.config import RunConfig
from infoplane.datasets import load_csv, load_dataset
from infoplane.errors import InfoplaneError


def test_csv_without_header_label_last(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("0.5,1,3\n1.5,-2,7\n2.5,0,3\n")
    data = load_dataset(str(path))
    assert data.X.dtype == np.float32
    assert data.X.tolist() == [[0.5, 1.0], [1.5, -2.0], [2.5, 0.0]]
    assert data.y.tolist() == [0, 1, 0] and data.label_values.tolist() == [3, 7]
    assert data.name == "plain"


def test_csv_with_header_label_by_name_and_class_names(tmp_path):
    path = tmp_path / "iris.csv"
    path.write_text("species,a,b\nsetosa,1,2\nvirginica,3,4\nsetosa,5,6\nversicolor,7,8\n")
    data = load_dataset(str(path), label_column="species")
    assert data.X.tolist() == [[1, 2], [3, 4], [5, 6], [7, 8]]
    assert data.label_values.tolist() == ["setosa", "versicolor", "virginica"]
    assert data.y.tolist() == [0, 2, 0, 1] and data.n_classes == 3
    by_index = load_csv(path, 0)
    assert np.array_equal(by_index.X, data.X) and np.array_equal(by_index.y, data.y)


def test_csv_label_by_index_and_gzip(tmp_path):
    path = tmp_path / "d.csv.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("1,0.1,0.2\n2,0.3,0.4\n1,0.5,0.6\n")
    data = load_dataset(str(path), label_column="0")
    assert np.allclose(data.X, [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])
    assert data.label_values.tolist() == [1, 2]
    assert load_dataset(str(path), label_column=-3).y.tolist() == [0, 1, 0]


@pytest.mark.parametrize(
    "text, label_column, message",
    [
        ("", None, "empty CSV file"),
        ("a,b,c\n", None, "a header but no data rows"),
        ("1,2,0\n3,4\n5,6,1\n", None, "malformed CSV.*Expected 3 columns, got 2"),
        ("a,b,c\n1,2,0\n3,4,1,9\n", None, "malformed CSV"),
        ("1,x,0\n3,4,1\n", None, "feature column '1' is not numeric"),
        ("a,b,y\n1,,0\n3,4,1\n", None, "column 'b' has missing values"),
        ("a,b,y\n1,2,0\n3,4,1\n", "label", "no label column 'label' \\(columns: a, b, y\\)"),
        ("1,2,0\n3,4,1\n", "7", "no label column '7' \\(3 columns, no header\\)"),
        ("1,2,0.5\n3,4,1\n", None, "labels must be integers"),
        ("1,2,0\n3,4,0\n", None, "single value"),
        ("5\n6\n", None, "need a feature column"),
        ("1,2,0\n1e39,4,1\n", None, "beyond float32's range"),
    ],
)
def test_malformed_csv(tmp_path, text, label_column, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(InfoplaneError, match=message) as err:
        load_dataset(str(path), label_column=label_column)
    assert "bad.csv" in str(err.value) and "\n" not in str(err.value)


def test_label_column_is_for_csv_only_and_checked():
    with pytest.raises(InfoplaneError, match="CSV data files only"):
        load_dataset("digits", label_column="y")
    with pytest.raises(InfoplaneError, match="--label-column must be"):
        RunConfig(label_column=1.5)


def test_cli_label_column_and_malformed_csv(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    rows = [f"{'b' if x[1] > 0 else 'a'},{x[0]},{x[1]},{x[2]}" for x in X]
    good = tmp_path / "good.csv"
    good.write_text("kind,u,v,w\n" + "\n".join(rows) + "\n")
    out = tmp_path / "run"
    code = main(["run", "--dataset", str(good), "--label-column", "kind", "--epochs", "3",
                 "--seeds", "1", "--widths", "4", "--log-epochs", "3", "--out", str(out),
                 "--quiet"])
    assert code == 0 and (out / "labels.json").read_text().strip() == '{"label_values": ["a", "b"]}'
    assert 'label_column = "kind"' in (out / "config.toml").read_text()
    bad = tmp_path / "ragged.csv"
    bad.write_text("1,2,0\n3,4\n")
    code = main(["run", "--dataset", str(bad), "--epochs", "5", "--seeds", "1",
                 "--out", str(tmp_path / "r2"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "ragged.csv: malformed CSV" in err


def test_header_after_a_byte_order_mark(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffx,label\n1,0\n2,1\n".encode())
    assert load_dataset(str(path), label_column="label").y.tolist() == [0, 1]
