"""A run's layers against the IB bound, end to end (``--ib`` and ``ib-curve``)."""

import numpy as np
import pandas as pd
import pytest

from infoplane.bound import chosen_epochs
from infoplane.cli import main


def test_chosen_epochs_are_log_spaced_with_first_and_last():
    epochs = list(range(0, 300))
    chosen = chosen_epochs(epochs, 8)
    assert chosen[0] == 0 and chosen[-1] == 299
    assert len(chosen) <= 8 and chosen == sorted(set(chosen))


def test_run_with_ib_writes_layers_against_the_bound(tmp_path, capsys):
    out = tmp_path / "ib"
    code = main(["run", "--soft-labels", "2", "--ib", "--epochs", "40", "--seeds", "2",
                 "--log-epochs", "10", "--out", str(out)])
    assert code == 0
    assert "IB bound: I(X;Y) =" in capsys.readouterr().out
    layers = pd.read_parquet(out / "ib_layers.parquet")
    curve = pd.read_parquet(out / "ib_curve.parquet")
    assert list(layers.columns) == [
        "seed", "epoch", "layer", "ixt", "ity", "gap", "beta", "kl_at_beta", "kl_floor"
    ]
    assert ((layers["kl_at_beta"] >= 0) & (layers["kl_at_beta"] <= layers["ixt"] + 1e-9)).all()
    assert (layers["kl_at_beta"] >= layers["kl_floor"] - 1e-9).all()
    assert layers["epoch"].max() == 40 and set(layers["layer"]) == set(range(1, 7))
    ixy = curve["ity"].max()
    assert (layers["ity"] <= ixy + 1e-6).all()
    assert (layers["gap"] >= -1e-6).all()
    beta = layers["beta"].dropna()  # NaN: a layer whose patterns share one p(y|t)
    assert len(beta) > len(layers) / 2 and (beta > 0).all()
    assert (out / "ib_bound.png").stat().st_size > 10_000


def test_ib_curve_command(tmp_path, capsys):
    assert main(["ib-curve", "--soft-labels", "3", "--betas", "60", "--out", str(tmp_path)]) == 0
    curve = pd.read_parquet(tmp_path / "ib_curve.parquet")
    assert np.all(np.diff(curve["ixt"]) >= -1e-9) and np.all(np.diff(curve["ity"]) >= -1e-9)
    assert (tmp_path / "ib_curve.png").exists()


def test_ib_curve_deterministic_labels_are_trivial(tmp_path, capsys):
    assert main(["ib-curve", "--out", str(tmp_path)]) == 0
    assert "trivial" in capsys.readouterr().out
    curve = pd.read_parquet(tmp_path / "ib_curve.parquet")
    assert curve["ity"].max() == pytest.approx(1.0, abs=1e-3)  # H(Y) of tishby12


def test_ib_curve_bad_input(tmp_path, capsys):
    assert main(["ib-curve", "--soft-labels", "-1", "--out", str(tmp_path)]) == 2
    assert "gamma must be > 0" in capsys.readouterr().err


def test_layers_against_the_bound_in_seed_chunks_equal_all_seeds_at_once(monkeypatch,
                                                                        twin_recorders):
    # was: every seed's activations of a chosen epoch at once, whatever the budget
    from infoplane import recorder as recorder_module
    from infoplane.bound import curve_table, layers_table
    from infoplane.config import RunConfig
    from infoplane.datasets import tishby12, with_probe

    data = with_probe(tishby12(soft_labels=2.0), 256)
    config = RunConfig(seeds=3, epochs=5, widths=(6, 4), activation="relu",
                       soft_labels=2.0, ib=True)
    whole, chunked = twin_recorders(config, data)
    chunked.activation_budget = (6 + 4 + 2) * len(whole.data.X) * 4  # one seed's snapshot
    for recorder in (whole, chunked):  # relu: per-seed value ranges, computed beforehand
        assert all(r is not None for r in recorder.value_ranges()[:-1])
    curve, _ = curve_table(whole.data, n_betas=20)
    seen = []
    original = recorder_module.layer_activations
    monkeypatch.setattr(recorder_module, "layer_activations",
                        lambda layout, params, *a, **k: seen.append(len(params))
                        or original(layout, params, *a, **k))
    all_at_once = layers_table(whole, curve)
    assert max(seen) == 3  # the 3 seeds of one snapshot
    seen.clear()
    in_chunks = layers_table(chunked, curve)
    assert max(seen) == 1  # never more than the budget: one seed-snapshot
    pd.testing.assert_frame_equal(in_chunks, all_at_once)
    assert len(all_at_once) == 6 * 3 * 3  # epochs x layers x seeds
    assert list(all_at_once["seed"][:3]) == list(whole.setup.seeds)
