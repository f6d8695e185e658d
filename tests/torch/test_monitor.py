"""The monitor of a user's model: unchanged training, hooks, layers, tables, gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from infoplane import estimate_information
from infoplane.cli import main
from infoplane.errors import InfoplaneError
from infoplane.measure import INFO_COLUMNS
from infoplane.store import SCHEMAS, read_table
from infoplane.torch import InformationPlaneMonitor


def _data(n=96, d=8, k=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.rand(n, d, generator=g)
    y = (X[:, 0] * k).long().clamp(max=k - 1)
    return X, y


def _mlp(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(8, 6), nn.Tanh(), nn.Dropout(0.2), nn.Linear(6, 5), nn.ReLU(),
                         nn.Linear(5, 3))


def _train(model, loader, epochs, monitor=None):
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(epochs):
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            if monitor is not None:
                monitor.after_backward()
            opt.step()
        if monitor is not None:
            monitor.end_epoch(epoch + 1, metrics={"train_loss": loss})


def _shuffled(X, y, batch_size=16):
    return DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True)


def _no_hooks(model):
    return all(not m._forward_hooks for m in model.modules())


def test_training_with_the_monitor_gives_identical_weights():
    X, y = _data()
    torch.manual_seed(1)
    bare = _mlp()
    torch.manual_seed(7)
    _train(bare, _shuffled(X, y), 6)

    watched = _mlp()
    torch.manual_seed(7)
    probe = _shuffled(X, y, batch_size=32)  # a DataLoader draws seeds when iterated
    monitor = InformationPlaneMonitor(watched, probe, epochs=6, log_epochs=4,
                                      estimators=["binning", "kde"])
    with monitor:
        _train(watched, _shuffled(X, y), 6, monitor)
    assert watched.training and all(m.training for m in watched.modules())
    for a, b in zip(bare.parameters(), watched.parameters(), strict=True):
        assert torch.equal(a, b)
    assert set(monitor.information["epoch"]) == {0, 1, 2, 3, 6}


def test_measuring_keeps_the_torch_thread_count():
    # numba's OpenMP kernels set the OpenMP thread count that torch shares; a different
    # count changes the order of sums in training (seen in benchmarks/bench_monitor.py)
    X, y = _data(n=300, d=40)
    model = nn.Sequential(nn.Linear(40, 30), nn.ReLU(), nn.Linear(30, 3))
    monitor = InformationPlaneMonitor(model, (X, y), epochs=1, layers=["1", "output"])
    with monitor:
        assert torch.get_num_threads() == 1  # set by conftest


def test_hooks_are_removed_on_exit_and_on_an_exception():
    X, y = _data()
    model = _mlp()
    monitor = InformationPlaneMonitor(model, (X, y), epochs=3)
    with monitor:
        assert not _no_hooks(model)
    assert _no_hooks(model)
    with pytest.raises(RuntimeError, match="boom"), monitor:
        assert not _no_hooks(model)
        raise RuntimeError("boom")
    assert _no_hooks(model)


def test_a_failing_first_measurement_leaves_no_hooks():
    X, y = _data()
    model = _mlp()
    monitor = InformationPlaneMonitor(model, (X[:, :5], y), epochs=3)  # wrong input width
    with pytest.raises(InfoplaneError, match=r"fails on the probe inputs \(shape \(96, 5\)") as e:
        monitor.__enter__()
    assert "\n" not in str(e.value) and isinstance(e.value.__cause__, RuntimeError)
    assert _no_hooks(model)


class _FunctionalMlp(nn.Module):
    """Activations as functions (no activation modules): "auto" takes the Linear layers."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 6)
        self.fc2 = nn.Linear(6, 3)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def test_auto_layers_of_a_model_without_activation_modules():
    X, y = _data()
    monitor = InformationPlaneMonitor(_FunctionalMlp(), (X, y), epochs=3)
    assert [layer.name for layer in monitor.layers] == ["fc1", "output"]


def test_auto_layers_names_and_binning_rules():
    X, y = _data()
    monitor = InformationPlaneMonitor(_mlp(), (X, y), epochs=3)
    assert [layer.name for layer in monitor.layers] == ["1", "4", "output"]
    assert [layer.weight_name for layer in monitor.layers] == ["0.weight", "3.weight",
                                                               "5.weight"]
    with monitor:
        pass
    info = monitor.information
    assert list(info.columns) == list(INFO_COLUMNS)
    rules = info.groupby("layer_name")["binning"].first().to_dict()
    assert rules == {"1": "range", "4": "epoch", "output": "range"}
    ranged = info[info["binning"] == "range"]
    assert (ranged["bin_low"] == -1.0).all() and (ranged["bin_high"] == 1.0).all()


class _Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 3, 3)
        self.relu = nn.ReLU()
        self.fc = nn.Linear(3 * 4 * 4, 3)

    def forward(self, x):
        return self.fc(self.relu(self.conv(x)).flatten(1))


def test_conv_outputs_are_flattened_and_match_estimate_information():
    torch.manual_seed(0)
    X = torch.rand(40, 1, 6, 6)
    y = torch.arange(40) % 3
    model = _Cnn()
    monitor = InformationPlaneMonitor(
        model, (X, y), layers=["conv", "relu", "output"], schedule=[0],
        estimators={"binning": {"bins": 8}, "kde": {}}, binning={"conv": 0.25},
        keep_activations=True,
    )
    with monitor:
        pass
    info = monitor.information
    acts = monitor.activations[0]
    assert acts["conv"].shape == (40, 3 * 4 * 4)
    with torch.no_grad():
        conv = model.conv(X).flatten(1).numpy()
        probs = torch.softmax(model(X), dim=1).numpy()
    np.testing.assert_array_equal(acts["conv"], conv)
    row = info[(info["layer_name"] == "conv") & (info["estimator"] == "binning")].iloc[0]
    assert row["binning"] == "width"
    assert row["bin_high"] - row["bin_low"] == pytest.approx(0.25 * row["bins"])
    assert row["bin_low"] <= conv.min() and conv.max() < row["bin_high"]
    direct = estimate_information(conv, y.numpy(), bins=int(row["bins"]),
                                  value_range=(row["bin_low"], row["bin_high"]))
    assert row["ixt"] == pytest.approx(direct.ixt, abs=1e-12)
    assert row["ity"] == pytest.approx(direct.ity, abs=1e-12)
    relu = info[(info["layer_name"] == "relu") & (info["estimator"] == "binning")].iloc[0]
    relu_acts = np.maximum(conv, 0)
    direct = estimate_information(relu_acts, y.numpy(), bins=8, value_range=None)
    assert (relu["binning"], relu["bin_low"], relu["bin_high"]) == ("epoch", 0.0,
                                                                    pytest.approx(conv.max()))
    assert relu["ixt"] == pytest.approx(direct.ixt, abs=1e-12)
    out = info[(info["layer_name"] == "output") & (info["estimator"] == "kde")].iloc[0]
    direct = estimate_information(probs, y.numpy(), "kde")
    assert out["ixt"] == pytest.approx(direct.ixt, rel=1e-6)
    assert out["ity"] == pytest.approx(direct.ity, rel=1e-6)


def test_global_ranges_of_kept_activations_remeasure_with_saxe_binning():
    from infoplane.measure import measure_snapshot

    X, y = _data()
    model = _mlp()
    monitor = InformationPlaneMonitor(model, (X, y), epochs=3, keep_activations=True)
    with monitor:
        _train(model, _shuffled(X, y), 3, monitor)
    ranges = monitor.global_ranges()
    relu = [acts["4"] for acts in monitor.activations.values()]
    assert ranges["4"] == (min(a.min() for a in relu), max(a.max() for a in relu))
    again = measure_snapshot(3, monitor.activations[3], y, ["binning"], binning=ranges)
    assert tuple(again.loc[1, ["bin_low", "bin_high"]]) == pytest.approx(ranges["4"])
    with pytest.raises(InfoplaneError, match="keep_activations"):
        InformationPlaneMonitor(model, (X, y), epochs=3).global_ranges()


class _Pair(nn.Module):
    def forward(self, x):
        return torch.tanh(x), x


class _TupleNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 4)
        self.pair = _Pair()
        self.head = nn.Linear(4, 3)

    def forward(self, x):
        h, _ = self.pair(self.fc(x))
        return self.head(h)


def test_a_tuple_output_needs_a_pick():
    X, y = _data()
    model = _TupleNet()
    monitor = InformationPlaneMonitor(model, (X, y), layers=["pair"], epochs=2)
    with pytest.raises(InfoplaneError, match=r"'pair' \(_Pair\) returns a tuple.*\('pair', 0\)"):
        monitor.__enter__()
    assert _no_hooks(model)
    picked = InformationPlaneMonitor(model, (X, y), layers=[("pair", 0)], epochs=2)
    with picked:
        pass
    assert list(picked.information["layer_name"]) == ["pair[0]"]
    assert picked.binning["pair[0]"].rule == "epoch"  # a module cannot say it is bounded


def test_gradient_statistics_equal_a_direct_float64_computation():
    X, y = _data()
    model = _mlp()
    model.eval()  # no dropout: the gradients below are the monitor's
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    monitor = InformationPlaneMonitor(model, (X, y), epochs=2, layers=["1", "output"])
    grads = {0: [], 1: []}
    with monitor:
        for epoch in range(2):
            grads = []
            for k in range(0, len(X), 32):
                loss = F.cross_entropy(model(X[k:k + 32]), y[k:k + 32])
                opt.zero_grad()
                loss.backward()
                monitor.after_backward()
                grads.append([model[0].weight.grad.double().clone(),
                              model[5].weight.grad.double().clone()])
                opt.step()
            monitor.end_epoch(epoch + 1)
            for layer, weight in ((0, model[0].weight), (1, model[5].weight)):
                g = torch.stack([gs[layer] for gs in grads])
                row = monitor.gradients.query(f"epoch == {epoch + 1} and layer == {layer + 1}")
                mean_norm = g.mean(0).norm().item()
                std_norm = g.std(0, unbiased=False).norm().item()
                assert row["grad_mean_norm"].item() == pytest.approx(mean_norm, rel=1e-9)
                assert row["grad_std_norm"].item() == pytest.approx(std_norm, rel=1e-9)
                assert row["weight_norm"].item() == pytest.approx(
                    weight.double().norm().item(), rel=1e-12)
                assert row["snr"].item() == pytest.approx(mean_norm / std_norm, rel=1e-9)


def test_the_run_directory_is_read_by_infoplane_plot_and_the_analysis(tmp_path):
    from infoplane.analysis import drift_diffusion_transition

    X, y = _data()
    model = _mlp()
    out = tmp_path / "run"
    monitor = InformationPlaneMonitor(model, (X, y), epochs=4, out=out)
    with monitor:
        _train(model, _shuffled(X, y), 4, monitor)
    result = monitor.finish(plots=False)
    for name in ("information", "training", "gradients"):
        table = read_table(out, name)
        assert set(SCHEMAS[name]) <= set(table.columns)
    assert list(result.training["epoch"]) == [1, 2, 3, 4]
    assert result.training["train_loss"].notna().all()
    assert set(result.gradients["layer"]) == {1, 2, 3}
    assert (out / "monitor.toml").read_text().count("[[layers]]") == 3
    assert main(["plot", str(out)]) == 0
    assert (out / "information_plane.png").stat().st_size > 0
    transitions = drift_diffusion_transition(read_table(out, "gradients"))
    assert set(transitions["layer"]) == {1, 2, 3}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"layers": ["nope"]}, "no layer 'nope'"),
        ({"estimators": ["nope"]}, "unknown estimator 'nope'"),
        ({"estimators": {"binning": {"bin": 3}}}, "takes no option 'bin'"),
        ({"binning": {"nope": 0.5}}, "unknown layer"),
        ({"binning": -1.0}, "binning must be"),
        ({"epochs": None}, "give epochs="),
        ({"probe": (torch.rand(5, 8), torch.arange(4))}, "labels y have 4 entries"),
        ({"probe": (None, torch.arange(4))}, "probe inputs X must be a tensor"),
    ],
)
def test_bad_arguments_are_one_line_errors_before_training(kwargs, message):
    X, y = _data()
    arguments = {"probe": (X, y), "epochs": 3, **kwargs}
    with pytest.raises(InfoplaneError, match=message):
        InformationPlaneMonitor(_mlp(), **arguments)


def test_end_epoch_checks_its_use():
    X, y = _data()
    monitor = InformationPlaneMonitor(_mlp(), (X, y), epochs=3)
    with pytest.raises(InfoplaneError, match="context manager"):
        monitor.end_epoch(1)
    with monitor:
        monitor.end_epoch(1)
        with pytest.raises(InfoplaneError, match="epochs must increase"):
            monitor.end_epoch(1)
        with pytest.raises(InfoplaneError, match="unknown metric"):
            monitor.end_epoch(2, metrics={"val_loss": 1.0})


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_model_is_measured_on_the_gpu_as_on_the_cpu():
    from infoplane.measure import measure_snapshot

    X, y = _data(n=256)
    model = _mlp().cuda()
    monitor = InformationPlaneMonitor(model, (X, y), epochs=3, keep_activations=True,
                                      estimators=["binning", "kde"])
    with monitor:
        batches = [(xb.cuda(), yb.cuda()) for xb, yb in zip(X.split(32), y.split(32),
                                                             strict=True)]
        _train(model, batches, 3, monitor)
    assert monitor._g_sum[0].device.type == "cuda"
    info = monitor.information
    for epoch, acts in monitor.activations.items():
        on_cpu = measure_snapshot(epoch, acts, y.numpy(), monitor.estimators,
                                  binning=monitor.binning)
        on_gpu = info[info["epoch"] == epoch].sort_values(["layer", "estimator"])
        on_cpu = on_cpu.sort_values(["layer", "estimator"])
        np.testing.assert_allclose(on_gpu["ixt"], on_cpu["ixt"], rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(on_gpu["ity"], on_cpu["ity"], rtol=1e-6, atol=1e-9)
    assert len(monitor.gradients) == 3 * 3


def test_the_run_directory_has_a_status_manifest_and_config_like_infoplane_run(tmp_path):
    import json
    import tomllib

    from infoplane.rundir import read_status

    X, y = _data()
    out = tmp_path / "run"
    model = _mlp()
    monitor = InformationPlaneMonitor(model, (X, y), epochs=3, out=out,
                                      estimators={"binning": {"bins": 8}}, binning=0.5)
    with monitor:
        assert read_status(out).state == "running"  # taken before training
        _train(model, _shuffled(X, y), 3, monitor)
    monitor.finish(plots=False)
    assert read_status(out).state == "complete"
    files = json.loads((out / "manifest.json").read_text())["files"]
    assert {"config.toml", "status.json", "information.parquet", "gradients.parquet",
            "training.parquet", "monitor.toml"} <= set(files)
    config = tomllib.loads((out / "config.toml").read_text())
    assert config["probe_size"] == len(X) and config["epochs"] == 3
    assert config["estimator_options"]["binning"]["bins"] == 8
    assert [layer["binning"] for layer in config["layers"]] == ["range [-1, 1]", "width 0.5",
                                                                "range [-1, 1]"]
    again = InformationPlaneMonitor(_mlp(), (X, y), epochs=3, out=out)
    with pytest.raises(InfoplaneError, match="holds another run"), again:
        pass
    assert read_status(out).state == "complete"  # the refused monitor touched nothing
    replaced = InformationPlaneMonitor(_mlp(), (X, y), epochs=3, out=out, overwrite=True)
    with replaced:
        pass
    replaced.finish(plots=False)
    assert read_status(out).state == "complete"


def test_the_status_follows_the_logged_epochs_while_training(tmp_path):
    # was: epochs_trained 0 in status.json until finish(), so a reader of the directory
    # (or of a run killed later) saw no progress; `infoplane run` updates it at each
    # logged epoch
    from infoplane.rundir import read_status

    X, y = _data()
    out = tmp_path / "run"
    model = _mlp()
    monitor = InformationPlaneMonitor(model, (X, y), schedule=[0, 2, 5], out=out)
    seen = []
    with monitor:
        seen.append(read_status(out))
        for epoch in range(1, 7):
            _train(model, _shuffled(X, y), 1)
            monitor.end_epoch(epoch)
            seen.append(read_status(out))
    assert {s.state for s in seen} == {"running"}
    assert [(s.epochs_trained, s.last_measured_epoch) for s in seen] == [
        (0, 0), (0, 0), (2, 2), (2, 2), (2, 2), (5, 5), (5, 5)]
    assert "after 5 of 5 epochs" in seen[-1].describe()
    monitor.finish(plots=False)
    assert read_status(out).epochs_trained == 6


@pytest.mark.parametrize(("error", "state"), [(RuntimeError("boom"), "failed"),
                                               (KeyboardInterrupt(), "interrupted")])
def test_an_exception_in_training_keeps_what_was_measured_and_says_so(tmp_path, error, state):
    from infoplane.run import resume
    from infoplane.rundir import read_status

    X, y = _data()
    out = tmp_path / "run"
    model = _mlp()
    monitor = InformationPlaneMonitor(model, (X, y), schedule=[0, 1, 2, 3], out=out)
    with pytest.raises(type(error)), monitor:
        _train(model, _shuffled(X, y), 2, monitor)
        raise error
    status = read_status(out)
    assert status.state == state and status.epochs_trained == 2
    assert status.last_measured_epoch == 2
    assert ("boom" in status.reason) == (state == "failed")
    with pytest.raises(InfoplaneError, match="not a complete run") as refused:
        read_table(out, "information")
    assert "--resume" not in str(refused.value)  # a monitor run does not resume there
    with pytest.raises(InfoplaneError, match="InformationPlaneMonitor.*cannot be resumed"):
        resume(out)
    kept = read_table(out, "information", complete=False)
    assert sorted(set(kept["epoch"])) == [0, 1, 2]
    assert _no_hooks(model)
    if state == "interrupted":
        assert main(["plot", str(out)]) == 0


def test_a_run_without_metrics_or_gradients_is_plotted_and_not_retaken(tmp_path):
    X, y = _data()
    out = tmp_path / "run"
    monitor = InformationPlaneMonitor(_mlp(), (X, y), schedule=[0, 1], out=out)
    with monitor:
        monitor.end_epoch(1)  # no after_backward(), no metrics
    monitor.finish()
    assert read_table(out, "training")["epoch"].dtype.kind == "i"
    assert main(["plot", str(out)]) == 0
    assert not (out / "training.png").exists() and not (out / "snr.png").exists()
    again = InformationPlaneMonitor(_mlp(), (X, y), schedule=[0, 1], out=out)
    with pytest.raises(InfoplaneError, match="overwrite=True") as refused, again:
        pass
    assert "--resume" not in str(refused.value)
