"""The recorder's tables against direct computations from the kept parameters."""

import numpy as np
import pytest

from infoplane.config import RunConfig
from infoplane.datasets import tishby12
from infoplane.estimators.binning import bin_indices
from infoplane.nets.ensemble import CpuEnsemble, layer_activations, make_setup
from infoplane.recorder import Recorder


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
