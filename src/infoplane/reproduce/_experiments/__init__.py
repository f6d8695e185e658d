"""The experiments of the reproduction, one module each, in the report's order.

Each module keeps its runs, its measurements, its verdict rule and its report section
together (the interface is :class:`infoplane.reproduce._context.Experiment`).
"""

from __future__ import annotations

from infoplane.reproduce._experiments import (
    compression,
    depth,
    estimators,
    ib,
    relu,
    transition,
)

EXPERIMENTS = (compression, transition, ib, depth, relu, estimators)
"""Claims 1-4, then the critiques: the order of the report and of claims.json."""

__all__ = ["EXPERIMENTS"]
