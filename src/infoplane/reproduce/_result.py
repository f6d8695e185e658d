"""What :func:`infoplane.reproduce.reproduce` returns."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from infoplane.reproduce._verdict import Verdict


@dataclass(frozen=True)
class ReproduceResult:
    """What :func:`reproduce` wrote and concluded."""

    out: Path
    verdicts: tuple[Verdict, ...]
    phases: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    notes: tuple[str, ...]
    run_seconds: dict[str, float]
    seconds: float

    @property
    def report(self) -> Path:
        return self.out / "index.html"
