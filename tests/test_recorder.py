"""The recorder's tables against direct computations from the kept parameters."""

import re

import numpy as np
import pandas as pd
import pytest

from infoplane.config import RunConfig
from infoplane.datasets import tishby12, with_probe
from infoplane.errors import InfoplaneError
from infoplane.estimators.binning import BinningOptions, bin_indices
from infoplane.nets.ensemble import CpuEnsemble, layer_activations, make_setup
from infoplane.recorder import Recorder, binning_options


@pytest.fixture(scope="module")
def recorded():
    data = tishby12()
    config = RunConfig(seeds=3, epochs=30, widths=(6, 4), log_epochs=5)
    setup = make_setup(config, data)
    engine = CpuEnsemble(setup, config, data)
    recorder = Recorder(setup, config, data)
    kept = {}
    for epoch in (0, 3, 10, 17, 30, 31):  # 6 snapshots: groups of 4, then 2
        if epoch:
            engine.train(epoch - max(kept))
        recorder.snapshot(epoch, engine.params.copy())
        kept[epoch] = engine.params.copy()
    return data, setup, recorder, kept


def _entropy(labels: np.ndarray) -> float:
    _, counts = np.unique(labels, return_counts=True, axis=0)
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum())


def test_information_table_equals_binning_each_point_alone(recorded):
    data, setup, recorder, kept = recorded
    information, _ = recorder.tables()
    assert len(information) == 6 * 3 * 3  # epochs x seeds x layers
    names = information.groupby("layer")["layer_name"].unique()
    assert [list(v) for v in names] == [["L1"], ["L2"], ["output"]]
    for epoch, params in kept.items():
        layers = layer_activations(setup.layout, params, data.X, "tanh")
        for layer, acts in enumerate(layers, start=1):
            for k, seed in enumerate(setup.seeds):
                idx, _ = bin_indices(acts[k], bins=30)
                h_t = _entropy(idx)
                h_ty = _entropy(np.column_stack([idx, data.y]))
                row = information.query(f"epoch == {epoch} and layer == {layer} and seed == {seed}")
                assert row["ixt"].item() == pytest.approx(h_t, abs=1e-9)
                assert row["ity"].item() == pytest.approx(h_t + _entropy(data.y) - h_ty, abs=1e-9)


def test_training_table_equals_numpy_on_the_softmax_outputs(recorded):
    data, setup, recorder, kept = recorded
    _, training = recorder.tables()
    for epoch, params in kept.items():
        probs = layer_activations(setup.layout, params, data.X, "tanh")[-1]
        right = probs.argmax(axis=2) == data.y
        loss = -np.log(probs[:, np.arange(len(data.y)), data.y].astype(np.float64))
        rows = training[training["epoch"] == epoch].sort_values("seed")
        for part, mask in (("train", setup.train_mask), ("test", ~setup.train_mask)):
            n = mask.sum(axis=1)
            np.testing.assert_allclose(rows[f"{part}_accuracy"], right.sum(1, where=mask) / n)
            np.testing.assert_allclose(rows[f"{part}_loss"], loss.sum(1, where=mask) / n)


def test_reused_memory_is_overwritten_and_fresh_memory_is_not(recorded):
    _, _, recorder, _ = recorded
    fresh = [layers[0].copy() for _, layers in recorder.activations(group=2)]
    kept = [layers[0] for _, layers in recorder.activations(group=2)]
    reused = [layers[0] for _, layers in recorder.activations(group=2, reuse=True)]
    for a, b in zip(fresh, kept, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(reused[0], fresh[-1])  # all views of one memory
    assert not np.array_equal(fresh[0], fresh[-1])


def test_a_probe_set_is_where_information_and_metrics_are_measured():
    data = with_probe(tishby12(), 1000)
    assert data.probe.size == 1000 and np.array_equal(data.probe, np.unique(data.probe))
    config = RunConfig(seeds=2, epochs=5, widths=(5,), log_epochs=2)
    setup = make_setup(config, data)
    assert setup.train_mask.shape == (2, 4096)  # training uses every row
    engine = CpuEnsemble(setup, config, data)
    recorder = Recorder(setup, config, data)
    engine.train(5)
    params = engine.params.copy()
    recorder.snapshot(5, params)
    information, training = recorder.tables()
    X, y = data.X[data.probe], data.y[data.probe]
    layers = layer_activations(setup.layout, params, X, "tanh")
    for k, seed in enumerate(setup.seeds):
        idx, _ = bin_indices(layers[0][k], bins=30)
        row = information.query(f"layer == 1 and seed == {seed}")
        assert row["ixt"].item() == pytest.approx(_entropy(idx), abs=1e-9)
        right = layers[-1][k].argmax(axis=1) == y
        train = setup.train_mask[k, data.probe]
        rows = training[training["seed"] == seed]
        assert rows["train_accuracy"].item() == pytest.approx(right[train].mean())
        assert rows["test_accuracy"].item() == pytest.approx(right[~train].mean())

def _trained_recorder(config: RunConfig) -> tuple:
    data = tishby12()
    setup = make_setup(config, data)
    engine = CpuEnsemble(setup, config, data)
    recorder = Recorder(setup, config, data)
    recorder.snapshot(0, engine.params.copy())
    engine.train(config.epochs)
    recorder.snapshot(config.epochs, engine.params.copy())
    return data, setup, recorder


def test_bin_size_is_in_activation_units_for_relu_layers():
    # was: each seed's layer rescaled onto [-1, 1] first, so the width was in those units
    config = RunConfig(seeds=2, epochs=20, widths=(6, 4), log_epochs=2, activation="relu",
                       lr=0.01, estimator_options={"binning": {"bin_size": 0.5}})
    data, setup, recorder = _trained_recorder(config)
    information, _ = recorder.tables()
    layers = layer_activations(setup.layout, recorder._params[-1], data.X, "relu")
    for layer, acts in enumerate(layers[:-1], start=1):
        for k, seed in enumerate(setup.seeds):
            idx = np.floor(acts[k].astype(np.float64) / 0.5)  # Saxe et al.'s bins
            row = information.query(f"epoch == 20 and layer == {layer} and seed == {seed}")
            assert row["ixt"].item() == pytest.approx(_entropy(idx), abs=1e-9)


def test_relu_layers_keep_the_per_seed_range_by_default():
    config = RunConfig(seeds=2, epochs=5, widths=(5,), log_epochs=2, activation="relu")
    _, _, recorder = _trained_recorder(config)
    ranges = recorder.value_ranges()
    assert ranges[0].shape == (2, 2) and ranges[-1] is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"estimators": ("binning", "kde"), "estimator_options": {"kde": {"sigma2": -1}}},
         "The 'sigma2' option of estimator 'kde' must be > 0, got -1."),
        ({"estimator_options": {"binning": {"bins": 0}}},
         "The 'bins' option of estimator 'binning' must be an int >= 1, got 0."),
        ({"estimator_options": {"binning": {"bins": "abc"}}}, "The 'bins' option"),
        ({"estimator_options": {"binning": {"bin_size": "big"}}}, "The 'bin_size' option"),
        ({"estimator_options": {"binning": {"value_range": "ab"}}}, "The 'value_range' option"),
        ({"estimators": ("noisy",), "estimator_options": {"noisy": {"sigma": 0}}},
         "The 'sigma' option of estimator 'noisy'"),
        ({"estimators": ("knn",), "estimator_options": {"knn": {"k": 0}}},
         "The 'k' option of estimator 'knn'"),
        ({"estimators": ("adaptive",), "estimator_options": {"adaptive": {"bins": 2.5}}},
         "The 'bins' option of estimator 'adaptive'"),
        ({"estimator_options": {"kde": {"sigma2": 1.0}}},
         "options are given for estimator 'kde', which this run does not use"),
        ({"estimators": ("kde",), "estimator_options": {"binning": {"bins": 4}}},
         "add --estimator binning or --ib"),
        ({"estimator_options": {"magic": {}}}, "unknown estimator 'magic'"),
    ],
)
def test_every_option_is_checked_before_training(changes, message):
    config = RunConfig(seeds=1, epochs=1, widths=(3,), **changes)
    data = tishby12()
    with pytest.raises(InfoplaneError, match=re.escape(message)):
        Recorder(make_setup(config, data), config, data)


def test_binning_options_are_used_by_ib_without_the_binning_estimator():
    config = RunConfig(seeds=1, epochs=1, widths=(3,), estimators=("kde",), ib=True,
                       estimator_options={"binning": {"bins": 4}})
    data = tishby12()
    recorder = Recorder(make_setup(config, data), config, data)
    assert recorder.binning == BinningOptions(bins=4)
    assert set(recorder.options) == {"kde"}


def test_bins_is_the_default_of_binning_and_adaptive_and_binning_bins_wins():
    config = RunConfig(bins=7, estimators=("binning", "adaptive"))
    assert binning_options(config).bins == 7
    assert binning_options(config.replace(estimator_options={"binning": {"bins": 4}})).bins == 4
    data = tishby12()
    recorder = Recorder(make_setup(config.replace(seeds=1, widths=(3,)), data), config, data)
    assert recorder.options["adaptive"]["bins"] == 7


def test_knn_with_no_class_of_two_is_refused_before_training():
    from infoplane.datasets import Dataset

    rng = np.random.default_rng(0)
    data = Dataset(name="distinct", X=rng.standard_normal((12, 3)).astype(np.float32),
                   y=np.arange(12))
    config = RunConfig(seeds=1, epochs=1, widths=(3,), estimators=("knn",))
    with pytest.raises(InfoplaneError, match="no class has two members"):
        Recorder(make_setup(config, data), config, data)

def test_information_table_has_stderr_columns(recorded):
    information, _ = recorded[2].tables()
    # binning is deterministic: no Monte Carlo error
    assert information["ixt_stderr"].isna().all() and information["ity_stderr"].isna().all()

def test_non_finite_gradient_statistics_are_divergence(recorded):
    from infoplane.errors import InfoplaneError

    _, setup, recorder, _ = recorded
    n_layers = setup.layout.n_layers
    stats = np.ones((3, 3, n_layers, 3))
    stats[1, 2, 0, 2] = np.inf  # seed 2's weight norm in the second of these epochs
    trained = recorder.n_epochs_trained
    with pytest.raises(InfoplaneError, match=(
        rf"^training diverged: NaN or infinite gradient or weight norms at epoch "
        rf"{trained + 2} for seed\(s\) 2; lower --lr$"
    )):
        recorder.gradients(stats)
    assert recorder.n_epochs_trained == trained  # nothing kept


def test_chance_accuracy_is_the_majority_class_fraction_of_the_training_labels(recorded):
    data, setup, recorder, _ = recorded
    fractions = [max(np.mean(data.y[m] == 0), np.mean(data.y[m] == 1))
                 for m in setup.train_mask]
    assert recorder.chance_accuracy() == pytest.approx(np.mean(fractions))
    assert 0.5 <= recorder.chance_accuracy() < 0.6


def _write_idx(path, array) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, dtype=">u4").tobytes()
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_estimation_in_seed_chunks_within_a_budget_gives_the_same_tables(
        tmp_path, monkeypatch, twin_recorders):
    # was: all seeds of 4 snapshots at once (8.8 GB for Saxe's MNIST network, 50 seeds)
    from infoplane import recorder as recorder_module
    from infoplane.datasets import load_dataset

    rng = np.random.default_rng(0)
    labels = np.arange(90) % 3
    images = rng.integers(0, 60, size=(90, 5, 5))
    images[:, 0, 0] = labels * 100
    _write_idx(tmp_path / "train-images-idx3-ubyte", images)
    _write_idx(tmp_path / "train-labels-idx1-ubyte", labels)
    data = load_dataset(str(tmp_path))
    config = RunConfig(seeds=5, epochs=6, widths=(12, 4), activation="relu",
                       estimators=("binning", "adaptive"))
    whole, chunked = twin_recorders(config, data)
    one_seed = (12 + 4 + 3) * len(data.X) * 4  # bytes of one seed's snapshot
    chunked.activation_budget = 2 * one_seed
    seen = []
    original = recorder_module.layer_activations
    monkeypatch.setattr(recorder_module, "layer_activations",
                        lambda layout, params, *a, **k: seen.append(len(params))
                        or original(layout, params, *a, **k))
    info_w, train_w = whole.tables()
    assert max(seen) == 5 * 4  # 4 snapshots of all 5 seeds at once
    seen.clear()
    info_c, train_c = chunked.tables()
    assert max(seen) == 2  # never more than the budget: 2 seed-snapshots
    pd.testing.assert_frame_equal(info_c, info_w)
    pd.testing.assert_frame_equal(train_c, train_w)
    for a, b in zip(chunked.value_ranges(), whole.value_ranges(), strict=True):
        assert (a is None and b is None) or np.array_equal(a, b)
