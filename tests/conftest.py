"""Shared fixtures: small, fast settings of the paper's experiment."""

from __future__ import annotations

import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture
def small_flags() -> list[str]:
    """CLI flags for a run of a few seconds."""
    return ["--epochs", "40", "--seeds", "3", "--log-epochs", "12", "--quiet"]
