"""Sweeps: many runs across cores and machines on Dask distributed, resumable.

A sweep is a plan (``SWEEP.toml``: a base config, a grid of axes, zipped axes) of run
configs with deterministic names, dispatched as tasks (in this process, on a
LocalCluster or on an existing Dask scheduler); its results are the runs' directories
and their tables joined with the axis values.
"""

from infoplane.sweep._plan import Point, SweepPlan, config_hash, load_plan, make_plan, run_name
from infoplane.sweep._sweep import SweepResult, describe_plan, summary, sweep

__all__ = [
    "Point",
    "SweepPlan",
    "SweepResult",
    "config_hash",
    "describe_plan",
    "load_plan",
    "make_plan",
    "run_name",
    "summary",
    "sweep",
]
