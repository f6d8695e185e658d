"""Reproduce Shwartz-Ziv & Tishby (2017), and its critiques, in one report.

:func:`reproduce` is plan -> dispatch -> measure -> report: each experiment of
:mod:`infoplane.reproduce._experiments` (training-set sizes and compression, gradient
phases, the IB bound, depth, ReLU, other estimators) names its runs, which are made
through :func:`infoplane.run.reuse_or_run` (or on Dask), measures its claim with
:mod:`infoplane.analysis`, decides it by an explicit rule and writes its section of a
self-contained HTML report.
"""

from infoplane.reproduce._reproduce import reproduce
from infoplane.reproduce._result import ReproduceResult
from infoplane.reproduce._scale import FULL, QUICK, Scale
from infoplane.reproduce._summary import summary
from infoplane.reproduce._tables import phases_display
from infoplane.reproduce._verdict import Verdict

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
