import pytest

from infoplane.config import RunConfig
from infoplane.errors import InfoplaneError


def test_defaults_are_the_paper_preset():
    c = RunConfig()
    assert (c.dataset, c.widths, c.activation, c.optimizer, c.lr) == (
        "ico12", (10, 7, 5, 4, 3), "tanh", "adam", 4e-4)
    assert (c.batch_size, c.epochs, c.seeds, c.train_fraction, c.bins) == (
        512, 10000, 50, 0.85, 30)


def test_toml_round_trip(tmp_path):
    c = RunConfig(widths=(8, 4), activation="relu", soft_labels=2.5, estimators=("binning",),
                  estimator_options={"binning": {"bins": 12}}, ib=True)
    path = tmp_path / "c.toml"
    path.write_text(c.to_toml())
    assert RunConfig.from_toml(path) == c


def test_unknown_keys_and_types():
    with pytest.raises(InfoplaneError, match="unknown key"):
        RunConfig.from_mapping({"epoch": 3})
    with pytest.raises(InfoplaneError, match="--batch-size must be an integer"):
        RunConfig.from_mapping({"batch_size": 3.5})
    with pytest.raises(InfoplaneError, match="--momentum"):
        RunConfig(momentum=1.5)
    with pytest.raises(InfoplaneError, match="--weight-decay"):
        RunConfig(weight_decay=-1)


def test_dataset_version_round_trips_and_old_files_load_without_it(tmp_path):
    old = tmp_path / "old.toml"
    old.write_text('dataset = "tishby12"\nepochs = 5\n')
    assert RunConfig.from_toml(old).dataset_version is None
    config = RunConfig(epochs=5, dataset_version="sha256:0123456789abcdef")
    path = tmp_path / "new.toml"
    path.write_text(config.to_toml())
    assert RunConfig.from_toml(path) == config
    with pytest.raises(InfoplaneError, match="dataset_version must be a string"):
        RunConfig(dataset_version=3)
