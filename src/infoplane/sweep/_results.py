"""A sweep's results: ``sweep.parquet``, the runs' tables joined, ``sweep.png``."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from infoplane import store
from infoplane.sweep._plan import SweepPlan, axis_value
from infoplane.sweep._rundir import RUN_TABLES, read_tables

PANELS_MAX = 48
"""Information planes drawn in sweep.png at most (the first ones of the plan)."""
MAX_COLUMNS = 8
"""Panels across at most; wider grids wrap, four to a row."""


def axis_columns(plan: SweepPlan, values: list[dict[str, Any]]) -> pd.DataFrame:
    """One column per axis, one row per entry of ``values``; lists as ``a,b,c`` text."""
    columns = {}
    for name in plan.axes:
        cells = [axis_value(v[name]) for v in values]
        if any(isinstance(c, str) for c in cells) and not all(isinstance(c, str) for c in cells):
            cells = [str(c) for c in cells]  # one type a column, for Parquet
        columns[name] = cells
    return pd.DataFrame(columns, index=range(len(values)))


def write_tables(out: Path, plan: SweepPlan, complete: list[str]) -> dict[str, pd.DataFrame]:
    """Join the complete runs' tables (``run`` and axis columns first) into ``out``.

    Only runs named in ``complete`` are read: a sweep's tables never hold rows of a run
    that did not finish. Returns the joined tables by name.
    """
    points = [p for p in plan.points if p.name in set(complete)]
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in RUN_TABLES}
    for point in points:
        tables = read_tables(out / "runs" / point.name)
        for name, df in tables.items():
            parts[name].append(df)
    joined = {}
    for name in RUN_TABLES:
        if not points:  # no earlier sweep's table may stand for this one
            (out / f"{name}.parquet").unlink(missing_ok=True)
            continue
        lengths = [len(df) for df in parts[name]]
        keys = axis_columns(plan, [p.axes for p in points])
        keys.insert(0, "run", [p.name for p in points])
        keys = keys.loc[keys.index.repeat(lengths)].reset_index(drop=True)
        rows = pd.concat(parts[name], ignore_index=True)
        df = pd.concat([keys, rows], axis=1)
        store.write_table(out, name, df, sweep_axes=json.dumps(list(plan.axes)))
        joined[name] = df
    return joined


def write_sweep_table(out: Path, table: pd.DataFrame, plan: SweepPlan) -> Path:
    """``out/sweep.parquet``, atomically, with the package version and axes in metadata."""
    from infoplane import __version__

    arrow = pa.Table.from_pandas(table.reset_index(drop=True), preserve_index=False)
    meta = {
        **(arrow.schema.metadata or {}),
        b"infoplane": json.dumps(
            {"version": __version__, "axes": list(plan.axes), "units": {"seconds": "s"}}
        ).encode(),
    }
    arrow = arrow.replace_schema_metadata(meta)
    path = out / "sweep.parquet"
    store._atomic(path, lambda tmp: pq.write_table(arrow, tmp))
    return path


def write_figure(out: Path, plan: SweepPlan, information: pd.DataFrame) -> Path | None:
    """``out/sweep.png``: the complete runs' information planes, along the axes.

    Panels follow the plan's order (the last axis varies fastest): one row for each
    value of the first axis, the other axes across, where that fits.
    """
    from infoplane.reproduce._figures import information_planes

    if information.empty:
        return None
    done = set(information["run"])
    points = [p for p in plan.points if p.name in done][:PANELS_MAX]
    panels = {}
    for point in points:
        parts = [f"{k.rsplit('.', 1)[-1]} {axis_value(v)}" for k, v in point.axes.items()]
        lines = [", ".join(parts[i : i + 2]) for i in range(0, len(parts), 2)]
        panels["\n".join(lines) or point.name] = information[information["run"] == point.name]
    rows = len({str(p.axes[plan.axes[0]]) for p in plan.points}) if len(plan.axes) > 1 else 1
    ncols = math.ceil(len(plan.points) / rows)
    if ncols > MAX_COLUMNS:
        ncols = min(len(panels), 4)
    return information_planes(panels, out / "sweep.png", ncols=max(1, min(ncols, len(panels))))
