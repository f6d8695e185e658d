"""Reproduce Shwartz-Ziv & Tishby (2017), and its critiques, in one report.

:func:`reproduce` runs every experiment (training-set sizes, gradient phases, the IB
bound, depth, ReLU, other estimators) through :func:`infoplane.run.run`, measures
each claim with :mod:`infoplane.analysis`, decides it by an explicit rule and writes
a self-contained HTML report.
"""

from infoplane.reproduce._claims import Verdict
from infoplane.reproduce._display import phases_display, summary
from infoplane.reproduce._reproduce import ReproduceResult, reproduce
from infoplane.reproduce._scale import FULL, QUICK, Scale

__all__ = [
    "FULL",
    "QUICK",
    "ReproduceResult",
    "Scale",
    "Verdict",
    "phases_display",
    "reproduce",
    "summary",
]
