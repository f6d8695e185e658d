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
