import tomllib

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
    with pytest.raises(InfoplaneError, match="dataset.version must be a string"):
        RunConfig(dataset_version=3)

@pytest.mark.parametrize(
    "body, message",
    [
        ('ib = "no"', "ib must be true or false, got 'no'"),
        ("estimator_options = 5", "estimator_options must be a table of option tables"),
        ("estimator_options = {kde = 3}", "estimator_options must be a table of option tables"),
        ("dataset = 5", "dataset must be a string, got 5"),
        ('widths = "10,7"', "widths must be a list of integers, got '10,7'"),
        ("widths = [10, 7.5]", "widths must be a list of integers"),
        ("estimators = 5", "estimators must be a list of strings, got 5"),
        ("epochs = 2.5", "epochs must be an integer, got 2.5"),
        ("lr = true", "lr must be a number, got True"),
        ('soft_labels = "x"', "soft_labels must be a number, got 'x'"),
        ('device = ["cpu"]', "device must be a string"),
    ],
)
def test_every_key_is_checked_against_its_declared_type(tmp_path, body, message):
    path = tmp_path / "c.toml"
    path.write_text(body + "\n")
    with pytest.raises(InfoplaneError) as info:
        RunConfig.from_toml(path)
    assert str(info.value).startswith(f"{path}: {message}")
    assert "\n" not in str(info.value)


def test_python_arguments_are_type_checked_under_their_flag_names():
    with pytest.raises(InfoplaneError, match="^--ib must be true or false, got 'no'$"):
        RunConfig(ib="no")
    with pytest.raises(InfoplaneError, match="^--widths must be a list of integers, got '10,7'$"):
        RunConfig(widths="10,7")


def test_ints_where_floats_are_declared_and_lists_where_tuples_are(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("lr = 1\nmomentum = 0\nwidths = [4, 3]\nsoft_labels = 2\n")
    config = RunConfig.from_toml(path)
    assert (config.lr, config.momentum, config.widths, config.soft_labels) == (1, 0, (4, 3), 2)


def test_learning_rate_beyond_float32_is_refused_before_training():
    with pytest.raises(InfoplaneError, match="--lr must be <= 3.4e"):
        RunConfig(lr=1e39)
    with pytest.raises(InfoplaneError, match="--weight-decay must be in"):
        RunConfig(weight_decay=1e39)
    assert RunConfig(lr=1e30).lr == 1e30


def test_binning_bins_is_written_once_with_the_same_meaning(tmp_path):
    from infoplane.datasets import tishby12
    from infoplane.nets.ensemble import make_setup
    from infoplane.recorder import Recorder

    config = RunConfig(seeds=1, widths=(3,), bins=7, estimators=("binning", "adaptive"),
                       estimator_options={"binning": {"bins": 4}})
    text = config.to_toml()
    written = tomllib.loads(text)
    assert "bins" not in written  # binning's bins is said once, in its table
    assert written["estimator_options"] == {"binning": {"bins": 4}, "adaptive": {"bins": 7}}
    path = tmp_path / "c.toml"
    path.write_text(text)
    reread = RunConfig.from_toml(path)
    data = tishby12()
    before, after = (Recorder(make_setup(c, data), c, data) for c in (config, reread))
    assert after.options == before.options  # binning 4 bins, adaptive 7
    assert before.options["binning"]["bins"] == 4 and before.options["adaptive"]["bins"] == 7


def test_bins_flag_over_a_config_file_leaves_no_empty_binning_table(tmp_path):
    from infoplane.cli import build_parser, resolve_config

    cfg = tmp_path / "c.toml"
    cfg.write_text("epochs = 3\n\n[estimator_options.binning]\nbins = 4\n")
    config, _, _ = resolve_config(build_parser().parse_args(
        ["run", "--config", str(cfg), "--bins", "8"]))
    assert config.bins == 8 and "binning" not in config.estimator_options
    assert "[estimator_options" not in config.to_toml()
