import gzip
import json

import numpy as np
import pandas as pd
import pytest

from infoplane.cli import main
from infoplane.config import RunConfig
from infoplane.datasets import PROBE_SIZE, load_dataset, load_idx, read_idx
from infoplane.errors import InfoplaneError
from infoplane.nets.ensemble import make_setup


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file's bytes for ``array`` (unsigned bytes)."""
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, dtype=">u4").tobytes()
    return header + array.astype(np.uint8).tobytes()


def write_idx(path, array, *, gz=False):
    data = idx_bytes(array)
    if gz:
        path = path.with_name(path.name + ".gz")
        with gzip.open(path, "wb") as handle:
            handle.write(data)
    else:
        path.write_bytes(data)
    return path


def mnist_like(directory, n_train=60, n_test=0, *, gz=False, seed=0):
    """A tiny MNIST-layout directory: 4x4 images whose label (1, 5 or 9) is readable."""
    rng = np.random.default_rng(seed)
    directory.mkdir(exist_ok=True)
    arrays = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        if n == 0:
            continue
        labels = np.array([1, 5, 9])[np.arange(n) % 3]
        images = rng.integers(0, 40, size=(n, 4, 4))
        images[:, 0, 0] = labels * 25  # 25, 125, 225
        write_idx(directory / f"{split}-images-idx3-ubyte", images, gz=gz)
        write_idx(directory / f"{split}-labels-idx1-ubyte", labels, gz=gz)
        arrays[split] = images, labels
    return arrays


@pytest.mark.parametrize("gz", [False, True])
def test_directory_without_test_files(tmp_path, gz):
    arrays = mnist_like(tmp_path / "mnist", gz=gz)
    data = load_dataset(str(tmp_path / "mnist"))
    images, labels = arrays["train"]
    assert data.X.shape == (60, 16) and data.X.dtype == np.float32
    assert np.allclose(data.X, images.reshape(60, 16) / 255)
    assert data.X.min() >= 0 and data.X.max() <= 1
    assert data.label_values.tolist() == [1, 5, 9]
    assert np.array_equal(data.label_values[data.y], labels)
    assert data.test_mask is None and data.name == "mnist" and data.input_shape == (4, 4)


@pytest.mark.parametrize("gz", [False, True])
def test_directory_with_t10k_is_a_fixed_test_split(tmp_path, gz):
    arrays = mnist_like(tmp_path / "m", n_train=30, n_test=12, gz=gz)
    data = load_dataset(str(tmp_path / "m"))
    assert data.X.shape == (42, 16)
    assert data.test_mask.tolist() == [False] * 30 + [True] * 12
    assert np.allclose(data.X[30:], arrays["t10k"][0].reshape(12, 16) / 255)
    setup = make_setup(RunConfig(dataset=str(tmp_path / "m"), seeds=3, widths=(5,)), data)
    assert all(np.array_equal(rows, np.arange(30)) for rows in setup.train_idx)
    assert np.array_equal(setup.train_mask, np.tile(~data.test_mask, (3, 1)))


def test_two_files_given_as_images_comma_labels(tmp_path):
    mnist_like(tmp_path, n_train=9, gz=True)
    spec = f"{tmp_path / 'train-images-idx3-ubyte.gz'},{tmp_path / 'train-labels-idx1-ubyte.gz'}"
    data = load_dataset(spec)
    direct = load_idx(tmp_path / "train-images-idx3-ubyte.gz",
                      tmp_path / "train-labels-idx1-ubyte.gz")
    assert data.X.shape == (9, 16) and np.array_equal(data.X, direct.X)


def test_read_idx_other_types_and_dims(tmp_path):
    values = (np.arange(24).reshape(2, 3, 4) - 5).astype(">i2")
    path = tmp_path / "shorts-idx3-ubyte"
    header = bytes([0, 0, 0x0B, 3]) + np.array([2, 3, 4], dtype=">u4").tobytes()
    path.write_bytes(header + values.tobytes())
    read = read_idx(path)
    assert read.dtype == np.int16 and read.dtype.isnative and np.array_equal(read, values)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "bad magic number"),
        (b"\x00\x00\x08", "bad magic number"),
        (b"\x01\x02\x08\x01" + bytes(8), "bad magic number"),
        (b"\x00\x00\x07\x01" + bytes(8), "bad magic number"),
        (b"\x00\x00\x08\x03\x00\x00", "truncated IDX header"),
        (idx_bytes(np.zeros((5, 2, 2)))[:-3], "truncated: dims 5x2x2 need 36 bytes, found 33"),
        (idx_bytes(np.zeros((5, 2, 2))) + b"x", "longer than its header says"),
    ],
)
def test_malformed_idx_files(tmp_path, content, message):
    mnist_like(tmp_path, n_train=5)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(content)
    with pytest.raises(InfoplaneError, match=message) as err:
        load_dataset(str(tmp_path))
    assert "\n" not in str(err.value) and "train-images-idx3-ubyte" in str(err.value)


def test_truncated_and_corrupt_gzip(tmp_path):
    mnist_like(tmp_path, n_train=50, gz=True)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(InfoplaneError, match="not a readable gzip file"):
        load_dataset(str(tmp_path))
    path.write_bytes(b"not gzip at all")
    with pytest.raises(InfoplaneError, match="not a readable gzip file"):
        load_dataset(str(tmp_path))


def test_directory_problems(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InfoplaneError, match="no IDX training files"):
        load_dataset(str(tmp_path / "empty"))
    mnist_like(tmp_path / "half", n_train=6, n_test=3)
    (tmp_path / "half" / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(InfoplaneError, match="t10k-labels-idx1-ubyte\\[.gz\\] is missing"):
        load_dataset(str(tmp_path / "half"))
    mnist_like(tmp_path / "count", n_train=6)
    write_idx(tmp_path / "count" / "train-labels-idx1-ubyte", np.arange(5) % 2)
    with pytest.raises(InfoplaneError, match="5 labels for 6 images"):
        load_dataset(str(tmp_path / "count"))
    write_idx(tmp_path / "count" / "train-labels-idx1-ubyte", np.zeros((6, 2)))
    with pytest.raises(InfoplaneError, match="labels must be a vector"):
        load_dataset(str(tmp_path / "count"))
    with pytest.raises(InfoplaneError, match="needs its partner"):
        load_dataset(str(tmp_path / "count" / "train-images-idx3-ubyte"))


def test_run_on_a_tiny_idx_directory(tmp_path):
    mnist_like(tmp_path / "m", n_train=60, n_test=30)
    out = tmp_path / "run"
    code = main(["run", "--dataset", str(tmp_path / "m"), "--epochs", "4", "--seeds", "2",
                 "--widths", "8", "--activation", "relu", "--log-epochs", "3",
                 "--probe-size", "20", "--out", str(out), "--quiet"])
    assert code == 0
    assert json.loads((out / "labels.json").read_text()) == {"label_values": [1, 5, 9]}
    assert "probe_size = 20" in (out / "config.toml").read_text()
    info = pd.read_parquet(out / "information.parquet")
    assert sorted(info["layer"].unique()) == [1, 2] and info["ixt"].notna().all()
    assert (info["ixt"] <= np.log2(20) + 1e-9).all() and info["ixt"].max() > np.log2(10)
    training = pd.read_parquet(out / "training.parquet")
    assert training["test_accuracy"].notna().all()


def test_header_dims_too_large_for_int64(tmp_path):
    path = tmp_path / "huge-idx3-ubyte"
    path.write_bytes(bytes([0, 0, 8, 3]) + np.full(3, 2**32 - 1, dtype=">u4").tobytes())
    with pytest.raises(InfoplaneError, match="truncated: dims 4294967295x"):
        read_idx(path)


def test_probe_set_of_a_larger_data_set(tmp_path):
    mnist_like(tmp_path, n_train=50, n_test=10)
    data = load_dataset(str(tmp_path), probe_size=25)
    assert data.probe.size == 25 and np.array_equal(data.probe, np.unique(data.probe))
    assert np.array_equal(load_dataset(str(tmp_path), probe_size=25).probe, data.probe)
    probed = data.probe_set()
    assert np.array_equal(probed.X, data.X[data.probe])
    assert np.array_equal(probed.test_mask, data.test_mask[data.probe])
    assert load_dataset(str(tmp_path), probe_size=60).probe is None
    assert RunConfig().probe_size == PROBE_SIZE
    with pytest.raises(InfoplaneError, match="--probe-size must be > 0"):
        RunConfig(probe_size=0)


def test_test_images_of_another_shape(tmp_path):
    mnist_like(tmp_path, n_train=6, n_test=3)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((3, 2, 8)))
    with pytest.raises(InfoplaneError, match="images of shape \\(2, 8\\), but the training "
                       "images are \\(4, 4\\)"):
        load_dataset(str(tmp_path))
