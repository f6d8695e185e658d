"""``infoplane reproduce``: plan -> dispatch -> measure -> report.

The experiments (:mod:`infoplane.reproduce._experiments`) each name their runs, measure
their tables and verdict, and write their section; this module only strings the four
stages together and writes the shared files (tables, ``claims.json``, ``index.html``).
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from infoplane import store
from infoplane.errors import make_directory
from infoplane.reproduce._context import Context, Measured
from infoplane.reproduce._dispatch import dispatch
from infoplane.reproduce._experiments import EXPERIMENTS
from infoplane.reproduce._plan import Plan, estimated_seconds, make_plan
from infoplane.reproduce._report import render
from infoplane.reproduce._result import ReproduceResult
from infoplane.reproduce._runs import MAIN
from infoplane.reproduce._scale import FULL, Scale
from infoplane.sweep._dispatch import check_where

SECONDS_PER_GIF_FRAME = 0.2
SECONDS_FOR_REPORT = 15.0
"""Rough costs of the last stage, to weigh the overall progress bar."""

TABLE_FIRST_COLUMNS = {"critiques": ["run", "network", "estimator"]}
"""Leading columns of tables that several experiments contribute rows to."""


def reproduce(
    out: str | Path,
    *,
    scale: Scale = FULL,
    quiet: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Any = None,
) -> ReproduceResult:
    """Run every experiment of Shwartz-Ziv & Tishby (2017) and its critiques; write a report.

    Writes, under ``out``: ``runs/<name>/`` (one run directory each, see
    :func:`infoplane.run.run`), ``figures/*.png``, the tables ``phases.parquet``,
    ``sizes.parquet``, ``depth.parquet``, ``depth_compression.parquet``,
    ``critiques.parquet`` (and ``ib.parquet`` when the IB run wrote its files),
    ``claims.json`` (each claim's verdict and rule), ``information_plane.gif`` and
    ``index.html``, a self-contained page with every figure, table and verdict.

    Parameters
    ----------
    out : path
        The output directory (created; files in it are replaced). Runs already
        complete there with the same config are read back, not run again; runs
        stopped there (Ctrl-C, kill) are resumed.
    scale : Scale, default FULL
        Seeds, epochs and logged epochs: :data:`FULL` (the paper's 50 seeds and 10000
        epochs, about 23 min on 2 idle cores) or :data:`QUICK` (a first look in a minute or two).
    quiet : bool, default False
        No progress bars.
    workers, scheduler : int or str, optional
        Make the runs as tasks on Dask (see :func:`infoplane.sweep.sweep`): a local
        cluster of ``workers`` processes, or the scheduler at that address. Runs already
        complete in ``out`` are skipped, so a rerun after a crash resumes. Default (and
        ``workers=0``): one run after another in this process, each with its progress.
    client : distributed.Client, optional
        Make the runs on this client's cluster instead (``workers``/``scheduler`` are
        then ignored): one cluster for many calls (benchmarks, notebooks).

    Raises
    ------
    InfoplaneError
        If ``out`` (or a folder above it) is a file or cannot be created, ``workers`` <
        0, or ``scheduler`` is not a Dask address; all before any work.
        KeyboardInterrupt propagates after the interrupted run has written what it
        trained.
    """
    if client is None:
        check_where(workers, scheduler)
    make_directory(out)
    out = Path(out)
    start = time.perf_counter()
    plan = make_plan(scale)
    costs = [estimated_seconds(s, plots=scale.run_plots) for s in plan.runs]
    final = SECONDS_FOR_REPORT + SECONDS_PER_GIF_FRAME * scale.gif_frames
    bar = tqdm(
        total=round(sum(costs) + final),
        disable=quiet,
        unit="s",
        bar_format="{desc}: {percentage:3.0f}%|{bar}| [{elapsed} elapsed, ETA {remaining}]",
    )
    try:
        results, run_seconds = dispatch(
            plan, out, costs, bar, plots=scale.run_plots, quiet=quiet, workers=workers,
            scheduler=scheduler, client=client,
        )
        runs_done = time.perf_counter()
        bar.set_description("reproduce: analysis, figures and report")
        ctx = Context(out=out, scale=scale, specs=plan.specs, results=results)
        measured = [experiment.measure(ctx) for experiment in EXPERIMENTS]
        result = _report(ctx, plan, measured, run_seconds, start)
        result = dataclasses.replace(result, stage_seconds={
            "runs": runs_done - start, "report": result.seconds - (runs_done - start)})
        bar.update(bar.total - bar.n)
    finally:
        bar.close()
    return result


def _merged_tables(measured: list[Measured]) -> dict[str, pd.DataFrame]:
    """Every experiment's tables; rows of a table named by several are stacked."""
    parts: dict[str, list[pd.DataFrame]] = {}
    for m in measured:
        for name, table in m.tables.items():
            parts.setdefault(name, []).append(table)
    tables = {}
    for name, frames in parts.items():
        table = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
        first = [c for c in TABLE_FIRST_COLUMNS.get(name, []) if c in table]
        tables[name] = table[first + [c for c in table.columns if c not in first]]
    return tables


def _report(
    ctx: Context,
    plan: Plan,
    measured: list[Measured],
    run_seconds: dict[str, float],
    start: float,
) -> ReproduceResult:
    out, scale = ctx.out, ctx.scale
    verdicts = tuple(m.verdict for m in measured)
    tables = _merged_tables(measured)
    notes = tuple(n for m in measured for n in m.notes)
    for name, table in tables.items():
        _write_table(out / f"{name}.parquet", table, scale)
    claims = {"scale": asdict(scale), "claims": [v.as_dict() for v in verdicts]}
    store.write_text(out / "claims.json", json.dumps(claims, indent=2) + "\n")
    sections = [e.section(ctx, m) for e, m in zip(EXPERIMENTS, measured, strict=True)]
    base = plan.spec(MAIN).config
    seconds = time.perf_counter() - start
    page = render(
        title="infoplane reproduce: Shwartz-Ziv & Tishby (2017) and its critiques",
        subtitle=(
            f"{base.seeds} seeds x {base.epochs} epochs (about {base.log_epochs} "
            f"logged epochs), {len(plan.runs)} runs in {seconds / 60:.1f} min. "
            "Information in bits; layer 1 is the first hidden layer, the last is "
            "the softmax output. Brackets: 95% bootstrap intervals over seeds."
        ),
        verdicts=verdicts,
        sections=sections,
        settings=pd.DataFrame(
            {"setting": list(asdict(scale)), "value": [str(v) for v in asdict(scale).values()]}
        ),
        runs=_runs_table(plan, run_seconds),
        notes=notes,
    )
    store.write_text(out / "index.html", page)
    return ReproduceResult(
        out=out,
        verdicts=verdicts,
        phases=tables["phases"],
        tables=tables,
        notes=notes,
        run_seconds=run_seconds,
        seconds=time.perf_counter() - start,
    )


def _runs_table(plan: Plan, run_seconds: dict[str, float]) -> pd.DataFrame:
    rows = []
    for spec in plan.runs:
        c = spec.config
        rows.append(
            {
                "run": f"runs/{spec.key}",
                "experiment": spec.experiment,
                "what": spec.label,
                "seeds": c.seeds,
                "epochs": c.epochs,
                "log epochs": c.log_epochs,
                "estimators": ", ".join(c.estimators),
                "seconds": f"{run_seconds.get(spec.key, float('nan')):.1f}",
            }
        )
    return pd.DataFrame(rows)


def _write_table(path: Path, df: pd.DataFrame, scale: Scale) -> None:
    """Write ``df`` as Parquet with the package version, units and scale in its metadata."""
    from infoplane import __version__

    table = pa.Table.from_pandas(df.reset_index(drop=True), preserve_index=False)
    meta = {
        **(table.schema.metadata or {}),
        b"infoplane": json.dumps(
            {
                "version": __version__,
                "units": store.UNITS,
                "scale": asdict(scale),
            }
        ).encode(),
    }
    table = table.replace_schema_metadata(meta)
    store._atomic(path, lambda tmp: pq.write_table(table, tmp))
