"""Shared fixtures: small, fast settings of the paper's experiment."""

from __future__ import annotations

import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture
def small_flags() -> list[str]:
    """CLI flags for a run of a few seconds."""
    return ["--epochs", "40", "--seeds", "3", "--log-epochs", "12", "--quiet"]


@pytest.fixture
def twin_recorders():
    """``make(config, data)``: two Recorders of one CpuEnsemble trained for
    ``config.epochs`` epochs, each holding the same snapshot of every epoch (0 too), to
    compare a chunked computation with an all-at-once one."""
    from infoplane.nets.ensemble import CpuEnsemble, make_setup
    from infoplane.recorder import Recorder

    def make(config, data):
        setup = make_setup(config, data)
        engine = CpuEnsemble(setup, config, data)
        whole, chunked = Recorder(setup, config, data), Recorder(setup, config, data)
        for epoch in range(config.epochs + 1):
            if epoch:
                engine.train(1)
            whole.snapshot(epoch, engine.params.copy())
            chunked.snapshot(epoch, engine.params.copy())
        return whole, chunked

    return make
