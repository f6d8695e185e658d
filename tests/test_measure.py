"""measure_snapshot: one snapshot's activations to information rows, per binning rule."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from infoplane import estimate_information
from infoplane.errors import InfoplaneError
from infoplane.estimators.binning_torch import binning_information_torch
from infoplane.measure import INFO_COLUMNS, Binning, measure_snapshot, resolve_estimators


@pytest.fixture
def snapshot():
    rng = np.random.default_rng(0)
    layers = {
        "tanh": np.tanh(rng.normal(size=(300, 5))).astype(np.float32),
        "relu": np.maximum(rng.normal(size=(300, 2, 3, 2)), 0).astype(np.float32),
    }
    return layers, rng.integers(0, 3, 300)


def test_rows_columns_and_values_equal_estimate_information(snapshot):
    layers, y = snapshot
    df = measure_snapshot(7, layers, y, {"binning": {"bins": 12}, "kde": {}},
                          binning={"relu": "epoch"}, seed=4)
    assert list(df.columns) == list(INFO_COLUMNS)
    assert list(df["layer"]) == [1, 1, 2, 2]
    assert list(df["layer_name"]) == ["tanh", "tanh", "relu", "relu"]
    assert (df["seed"] == 4).all() and (df["epoch"] == 7).all()
    relu = layers["relu"].reshape(300, -1)
    expected = {
        ("tanh", "binning"): estimate_information(layers["tanh"], y, bins=12),
        ("tanh", "kde"): estimate_information(layers["tanh"], y, "kde"),
        ("relu", "binning"): estimate_information(relu, y, bins=12, value_range=None),
        ("relu", "kde"): estimate_information(relu, y, "kde"),
    }
    for row in df.itertuples():
        want = expected[(row.layer_name, row.estimator)]
        assert row.ixt == pytest.approx(want.ixt, abs=1e-12)
        assert row.ity == pytest.approx(want.ity, abs=1e-12)
    grids = df.set_index(["layer_name", "estimator"])
    assert tuple(grids.loc[("tanh", "binning"), ["binning", "bin_low", "bin_high", "bins"]]) == (
        "range", -1.0, 1.0, 12)
    assert grids.loc[("relu", "binning"), "bin_high"] == pytest.approx(float(relu.max()))
    assert grids.loc[("relu", "kde"), "binning"] == ""


def test_fixed_width_bins_are_aligned_at_multiples_of_the_width():
    T = np.array([[0.0], [0.24], [0.26], [0.74], [1.1]])
    df = measure_snapshot(1, {"a": T}, [0, 0, 1, 1, 1], ["binning"], binning={"a": 0.5})
    row = df.iloc[0]
    assert (row["binning"], row["bin_low"], row["bin_high"], row["bins"]) == ("width", 0.0,
                                                                              1.5, 3)
    # bins [0, .5), [.5, 1), [1, 1.5): states {0, .24, .26}, {.74}, {1.1}
    p = np.array([3, 1, 1]) / 5
    assert row["ixt"] == pytest.approx(float(-(p * np.log2(p)).sum()))


def test_a_constant_layer_under_the_epoch_rule_has_one_state():
    df = measure_snapshot(0, {"c": np.ones((4, 3))}, [0, 1, 0, 1], ["binning"],
                          binning={"c": "epoch"})
    assert (df["ixt"].item(), df["ity"].item()) == (0.0, 0.0)


@pytest.mark.parametrize("spec", [(1.0, 0.0), 0.0, "global", (0, float("nan"))])
def test_bad_binning_rules_are_one_line_errors(spec):
    with pytest.raises(InfoplaneError, match="binning"):
        Binning.parse(spec, "fc1")


def test_estimator_options_are_checked_by_name():
    with pytest.raises(InfoplaneError, match="takes no option 'sigma'"):
        resolve_estimators({"kde": {"sigma": 1.0}})
    assert resolve_estimators(["binning"])["binning"]["bins"] == 30


@pytest.mark.parametrize("seed", range(4))
def test_torch_binning_equals_the_numpy_estimator(seed):
    rng = np.random.default_rng(seed)
    n, units = 200, [1, 7, 40][seed % 3]
    T = rng.normal(scale=0.6, size=(n, units)).astype(np.float32)
    T[:10] = np.round(T[:10] * 15) / 15  # values on bin edges
    y = rng.integers(0, 4, n)
    want = estimate_information(T, y, bins=15)
    ixt, ity = binning_information_torch(torch.from_numpy(T), torch.from_numpy(y), low=-1.0,
                                         width=2.0 / 15, n_bins=15)
    assert ixt == pytest.approx(want.ixt, abs=1e-12)
    assert ity == pytest.approx(want.ity, abs=1e-12)


def test_recorder_and_monitor_give_the_same_information_rows():
    """The engine's Recorder and the monitor's measure_snapshot, same activations."""
    from infoplane.config import RunConfig
    from infoplane.datasets import tishby12
    from infoplane.nets.ensemble import CpuEnsemble, make_setup
    from infoplane.recorder import Recorder

    data = tishby12()
    config = RunConfig(seeds=2, epochs=5, widths=(5, 3), estimators=("binning", "kde"))
    setup = make_setup(config, data)
    engine, recorder = CpuEnsemble(setup, config, data), Recorder(setup, config, data)
    recorder.snapshot(0, engine.params.copy())
    engine.train(5)
    recorder.snapshot(5, engine.params.copy())
    information, _ = recorder.tables()
    columns = ["seed", "epoch", "layer", "layer_name", "estimator", "ixt", "ity"]
    monitor_rows = []
    names = ["L1", "L2", "output"]
    for (epoch,), layers in recorder.activations(group=1):
        for k, seed in enumerate(setup.seeds):
            monitor_rows.append(measure_snapshot(
                epoch, {name: acts[k] for name, acts in zip(names, layers, strict=True)},
                data.y, {"binning": {"bins": 30}, "kde": {}}, seed=seed,
                binning=dict.fromkeys(names, (-1.0, 1.0)),  # the monitor's bounded layers
            ))
    import pandas as pd

    monitor = pd.concat(monitor_rows, ignore_index=True)[columns]
    key = ["estimator", "epoch", "layer", "seed"]
    monitor = monitor.sort_values(key, ignore_index=True)
    engine_rows = information[columns].sort_values(key, ignore_index=True)
    assert len(engine_rows) == 2 * 2 * 3 * 2  # epochs x seeds x layers x estimators
    pd.testing.assert_frame_equal(engine_rows, monitor, check_dtype=False, rtol=0, atol=0)
