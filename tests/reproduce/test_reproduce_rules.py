"""The verdict rules of claim 3 and the estimator critique, on tables with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from infoplane import store
from infoplane.reproduce._experiments import ib
from infoplane.reproduce._experiments.estimators import critique_estimators


def _ib_table(**columns):
    base = {
        "layer": [1, 2, 3],
        "hidden": [True, True, False],
        "ixt": [10.0, 8.0, 1.0],
        "gap": [0.01, 0.02, 0.5],
        "beta": [30.0, 10.0, 2.0],
    }
    return pd.DataFrame({**base, **columns})


def test_claim3_measures_the_residual_above_its_floor():
    # a binned layer: most of its 8-10 bit residual is H(T | class), which no IB
    # encoder at any beta can remove; above that floor the fit is good
    table = _ib_table(kl_at_beta=[9.1, 7.05, 0.9], kl_floor=[9.0, 7.0, 0.5])
    verdict = ib.claim3(table, 0.9)
    assert verdict.supported is True and "2 of 2 satisfy" in verdict.finding
    assert "floor" in verdict.rule and "delta" in verdict.rule
    # the same residuals against no floor (the rule before): far from self-consistent
    assert ib.claim3(table.drop(columns="kl_floor"), 0.9).supported is False
    # above the floor by more than 10% of the trivial encoder's excess: not satisfied
    poor = ib.claim3(table.assign(kl_at_beta=[9.5, 7.5, 0.9]), 0.9)
    assert poor.supported is False and "0 of 2 satisfy" in poor.finding


def test_self_consistency_excess_and_reference():
    table = _ib_table(kl_at_beta=[9.1, 7.05, 0.9], kl_floor=[9.0, np.nan, 0.5])
    excess, reference = ib.self_consistency(table)
    assert excess.tolist() == pytest.approx([0.1, 7.05, 0.4])  # NaN floor counts as 0
    assert reference.tolist() == pytest.approx([1.0, 8.0, 0.5])


def test_claim3_without_the_residual_decides_on_the_gap_and_says_so():
    table = _ib_table(kl_at_beta=np.nan, kl_floor=np.nan)
    verdict = ib.claim3(table, 0.9)
    assert verdict.supported is True and "not measured" in verdict.finding
    assert ib.claim3(table.assign(gap=[0.5, 0.5, 0.0]), 0.9).supported is False


def test_old_ib_layers_without_the_residual_still_load(tmp_path):
    # was: read_table raised "missing column(s) kl_at_beta" for files written before it
    old = pd.DataFrame(
        {"seed": [0, 0, 1, 1], "epoch": 100, "layer": [1, 2, 1, 2], "ixt": [5.0, 1.0, 5.0, 1.0],
         "ity": [0.9, 0.8, 0.9, 0.8], "gap": 0.01, "beta": [20.0, 3.0, 20.0, 3.0]}
    )
    old.to_parquet(tmp_path / "ib_layers.parquet")
    layers = store.read_table(tmp_path, "ib_layers", complete=False)
    assert layers["kl_at_beta"].isna().all() and layers["kl_floor"].isna().all()
    info = pd.DataFrame({"layer": [1, 2]})
    final = ib._final(layers, info)
    shown = ib._display(final)
    assert (shown["residual E_x KL at beta* (bits)"] == "not measured").all()
    assert (shown["self-consistent"] == "not measured").all()
    reps = ib._replicates(layers)
    verdict = ib.claim3(final, 0.9, replicates=reps)
    assert verdict.label == "supported" and "not measured" in verdict.finding


def _layers(estimator, compresses):
    n = len(compresses)
    return pd.DataFrame(
        {
            "layer": range(1, n + 1),
            "hidden": [True] * (n - 1) + [False],
            "compresses": compresses,
            "compression_bits": 0.5,
            "compression_fraction": 0.9,
            "estimator": estimator,
        }
    )


def _replicates(estimator, per_layer, n=100):
    """Replicate b: layer l mostly compresses iff per_layer[l][b % len(...)]."""
    return pd.DataFrame(
        [
            {"estimator": estimator, "replicate": b, "layer": layer, "hidden": layer < 4,
             "compresses": values[b % len(values)], "compression_fraction": 0.9}
            for layer, values in per_layer.items()
            for b in range(n)
        ]
    )


def test_estimator_critique_not_decided_when_an_answer_straddles():
    table = pd.concat([_layers("binning", [True, True, True, False]),
                       _layers("kde", [False, True, False, False])])
    steady = pd.concat([
        _replicates("binning", {1: [True], 2: [True], 3: [True], 4: [False]}),
        _replicates("kde", {1: [False], 2: [True], 3: [False], 4: [False]}),
    ])
    verdict = critique_estimators(table, replicates=steady)
    assert verdict.label == "supported" and "95% interval 1" in verdict.finding
    # binning's layer 3 mostly compresses in half the resamples: 2-3 of 3, no answer
    shaky = pd.concat([
        _replicates("binning", {1: [True], 2: [False], 3: [True, False], 4: [False]}),
        _replicates("kde", {1: [False], 2: [True], 3: [False], 4: [False]}),
    ])
    verdict = critique_estimators(table, replicates=shaky)
    assert verdict.label == "not decided" and "no answer" in verdict.finding
    agree = pd.concat([
        _replicates("binning", {1: [False], 2: [True], 3: [False], 4: [False]}),
        _replicates("kde", {1: [False], 2: [True], 3: [False], 4: [False]}),
    ])
    assert critique_estimators(table, replicates=agree).label == "not supported"
