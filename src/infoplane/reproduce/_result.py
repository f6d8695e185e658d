"""What :func:`infoplane.reproduce.reproduce` returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from infoplane.reproduce._verdict import Verdict


@dataclass(frozen=True)
class ReproduceResult:
    """What :func:`reproduce` wrote and concluded.

    ``run_seconds``: each run's seconds (0 for a run read back); ``seconds``: the whole
    call; ``stage_seconds``: its wall seconds making the runs (``"runs"``, with the
    planning before them) and measuring and writing the report after them
    (``"report"``, always in the calling process).
    """

    out: Path
    verdicts: tuple[Verdict, ...]
    phases: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    notes: tuple[str, ...]
    run_seconds: dict[str, float]
    seconds: float
    stage_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def report(self) -> Path:
        return self.out / "index.html"
