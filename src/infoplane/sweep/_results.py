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
        if not points:
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

    Panels follow the plan's order (the last axis varies fastest), one row for each
    combination of the other axes where the last axis has a few values.
    """
    from infoplane.reproduce._figures import information_planes

    if information.empty:
        return None
    done = set(information["run"])
    points = [p for p in plan.points if p.name in done][:PANELS_MAX]
    panels = {}
    for point in points:
        title = ", ".join(f"{k} {axis_value(v)}" for k, v in point.axes.items()) or point.name
        panels[title] = information[information["run"] == point.name]
    last = len({str(p.axes[plan.axes[-1]]) for p in plan.points}) if plan.axes else 1
    ncols = last if 1 < last <= 6 else min(len(panels), 4)
    ncols = max(1, min(ncols, len(panels), math.ceil(math.sqrt(PANELS_MAX))))
    return information_planes(panels, out / "sweep.png", ncols=ncols)
