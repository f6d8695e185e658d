"""What an experiment sees once the runs are done, and what it hands back.

Each experiment of :mod:`infoplane.reproduce._experiments` is a module with
``KEY`` (its section's anchor and its verdict's key), ``runs(scale)`` (its
:class:`~infoplane.reproduce._runs.RunSpec` list), ``measure(ctx)`` (its tables and
verdict, a :class:`Measured`) and ``section(ctx, measured)`` (its part of the report,
figures drawn under ``ctx.figures``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from infoplane.analysis import (
    compression,
    phase_fractions,
    phases_replicates,
    phases_table,
    select_estimator,
)
from infoplane.reproduce._report import Section
from infoplane.reproduce._runs import MAIN, RunSpec
from infoplane.reproduce._scale import Scale
from infoplane.reproduce._verdict import Verdict
from infoplane.run import RunResult


@dataclass(frozen=True)
class Measured:
    """An experiment's outcome: its verdict, the tables it writes, notes, and anything
    its section needs besides (``data``)."""

    verdict: Verdict
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)


class Experiment(Protocol):
    """The interface of an experiment module (see the module docstring)."""

    KEY: str

    def runs(self, scale: Scale) -> list[RunSpec]: ...

    def measure(self, ctx: Context) -> Measured: ...

    def section(self, ctx: Context, measured: Measured) -> Section: ...


@dataclass
class Context:
    """The finished runs, by key, and measurements that several experiments share."""

    out: Path
    scale: Scale
    specs: dict[str, RunSpec]
    results: dict[str, RunResult]
    _memo: dict[tuple, Any] = field(default_factory=dict, repr=False)

    @property
    def figures(self) -> Path:
        return self.out / "figures"

    def run(self, key: str) -> RunResult:
        return self.results[key]

    def spec(self, key: str) -> RunSpec:
        return self.specs[key]

    def _cached(self, key: tuple, make: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def phases(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The main run's phases table and its seed resamples (claims 1 and 2)."""

        def make() -> tuple[pd.DataFrame, pd.DataFrame]:
            main = self.run(MAIN)
            return (
                phases_table(main.information, main.gradients, main.training),
                phases_replicates(main.information, main.gradients),
            )

        return self._cached(("phases",), make)

    def layer_summary(self, key: str, estimator: str | None = None) -> pd.DataFrame:
        """Per layer of run ``key``: compression, phase split and final I(T;Y)."""
        return self._cached(
            ("layers", key, estimator),
            lambda: layer_summary(self.run(key).information, estimator),
        )


def layer_summary(information: pd.DataFrame, estimator: str | None = None) -> pd.DataFrame:
    """Per layer: compression and phase split, plus the final seed-mean I(T;Y)."""
    comp = compression(information, estimator=estimator)
    frac = phase_fractions(information, estimator=estimator)
    rows, _ = select_estimator(information, estimator)
    last = rows[rows["epoch"] == rows["epoch"].max()].groupby("layer")["ity"].mean()
    table = comp[
        [
            "layer",
            "onset_epoch",
            "peak_ixt",
            "final_ixt",
            "compression_bits",
            "compression_bits_median",
            "compression_bits_q25",
            "compression_bits_q75",
            "compression_bits_ci_low",
            "compression_bits_ci_high",
            "compresses",
        ]
    ].merge(frac[["layer", "compression_fraction", "compression_fraction_log"]], on="layer")
    table["final_ity"] = table["layer"].map(last)
    table.insert(1, "hidden", table["layer"] < table["layer"].max())
    return table


def final_accuracy(training: pd.DataFrame, column: str) -> float:
    """The seed mean of ``column`` at the last logged epoch (NaN if never measured)."""
    last = training[training["epoch"] == training["epoch"].max()]
    values = last[column].to_numpy(dtype=float)
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
