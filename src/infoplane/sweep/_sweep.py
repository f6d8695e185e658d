"""``infoplane sweep``: plan -> dispatch -> results, resumable after a crash."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from infoplane.errors import make_directory
from infoplane.sweep import _results, _rundir
from infoplane.sweep._dispatch import check_where
from infoplane.sweep._plan import Point, SweepPlan, load_plan
from infoplane.sweep._runs import RunTask, run_all
from infoplane.sweep._tasks import Outcome


@dataclass(frozen=True)
class SweepResult:
    """What :func:`sweep` wrote: ``table`` is ``sweep.parquet`` (one row per run)."""

    out: Path
    table: pd.DataFrame
    failures: tuple[tuple[str, str], ...]
    interrupted: bool
    dashboard: str | None
    seconds: float


def sweep(
    plan: SweepPlan | str | Path,
    out: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    quiet: bool = False,
    plots: bool = True,
    shard: bool = True,
    client: Any = None,
) -> SweepResult:
    """Run every point of ``plan`` (or of the SWEEP.toml at that path) into ``out``.

    Writes ``out/runs/<name>/`` (a run directory each, as ``infoplane run`` writes it),
    ``out/sweep.parquet`` (one row per run: ``run``, the axis values, ``run_dir``,
    ``status``, ``reason``, ``seconds``, ``skipped``), ``out/information.parquet``,
    ``training.parquet`` and ``gradients.parquet`` (the complete runs' rows with ``run``
    and the axis columns first) and ``out/sweep.png``.

    Complete runs are skipped, others resumed, so rerunning after a crash finishes the
    sweep. A run that fails is recorded with its reason; the others go on.

    Parameters
    ----------
    workers : int or None
        Worker processes of a LocalCluster (default: the number of cores), one thread
        each; 0 runs everything in this process, without Dask.
    scheduler : str or None
        Address of an existing Dask scheduler (``tcp://host:8786``); ``out`` must then be
        on a file system the workers share, at the same path.
    shard : bool, default True
        Split the seeds of runs across workers when there are fewer runs than worker
        threads, and those of a run estimated to cost more than an even share of the
        work (so it does not finish alone after the others); the merged tables equal
        the whole run's.
    client : distributed.Client or None
        Use this client instead (tests, notebooks); ``workers``/``scheduler`` are ignored.

    Raises
    ------
    InfoplaneError
        A bad sweep file or point, ``workers`` < 0, a malformed ``scheduler`` address,
        or ``out`` (or a folder above it) is a file; all before any run starts.
    """
    start = time.perf_counter()
    if not isinstance(plan, SweepPlan):
        plan = load_plan(plan)
    if client is None:
        check_where(workers, scheduler)
    make_directory(out)
    out = Path(out).absolute()
    runs = [RunTask(p.name, p.config, run_dir(out, p)) for p in plan.points]
    done = run_all(runs, shards_dir=out / "shards", workers=workers, scheduler=scheduler,
                   client=client, quiet=quiet, plots=plots, shard=shard)
    before, outcomes, interrupted = done.before, done.outcomes, done.interrupted
    table = _summary_table(out, plan, before, outcomes, interrupted=interrupted)
    complete = list(table.loc[table["status"] == "complete", "run"])
    _results.write_sweep_table(out, table, plan)
    joined = _results.write_tables(out, plan, complete)
    if plots and "information" in joined:
        _results.write_figure(out, plan, joined["information"])
    failures = tuple(
        (row.run, row.reason) for row in table.itertuples() if row.status == "failed"
    )
    return SweepResult(
        out, table, failures, interrupted, done.dashboard, time.perf_counter() - start
    )


def run_dir(out: Path, point: Point) -> Path:
    return out / "runs" / point.name


def summary(result: SweepResult) -> str:
    """A few lines for the terminal: counts, failures with their reasons, files."""
    t = result.table
    counts = t["status"].value_counts()
    lines = [
        f"{len(t)} runs: " + ", ".join(f"{n} {s}" for s, n in counts.items())
        + f" ({int(t['skipped'].sum())} already complete) in {result.seconds:.1f} s",
        *(f"FAILED {run}: {reason}" for run, reason in result.failures),
        f"results in {result.out}/: " + ", ".join(
            sorted(p.name for p in result.out.iterdir() if not p.name.startswith("."))
        ),
    ]
    return "\n".join(lines)


def describe_plan(plan: SweepPlan, out: str | Path) -> str:
    """The ``--dry-run`` listing: one line a run (its state and directory), then counts."""
    out = Path(out)
    states = [_rundir.run_state(run_dir(out, p), p.config) for p in plan.points]
    lines = [f"{s:<10} runs/{p.name}" for p, s in zip(plan.points, states, strict=True)]
    todo = sum(s != "complete" for s in states)
    lines.append(f"{len(plan.points)} runs, {len(plan.points) - todo} complete, {todo} to run "
                 f"(axes: {', '.join(plan.axes) or 'none'})")
    return "\n".join(lines)


def _summary_table(
    out: Path,
    plan: SweepPlan,
    before: dict[str, str],
    outcomes: dict[str, Outcome],
    *,
    interrupted: bool,
) -> pd.DataFrame:
    rows = []
    for point in plan.points:
        state = _rundir.run_state(run_dir(out, point), point.config)
        outcome = outcomes.get(point.name)
        if state == "complete" and (outcome is None or outcome.status == "complete"):
            status, reason = "complete", ""
        elif outcome is not None:
            status = outcome.status if outcome.status != "complete" else "failed"
            reason = outcome.reason or "the run directory is not complete after the run"
        elif interrupted and state == "resumable":
            status, reason = "interrupted", ""
        else:
            status, reason = "not run", ""
        rows.append({
            "run": point.name,
            "run_dir": f"runs/{point.name}",
            "status": status,
            "reason": reason,
            "seconds": outcome.seconds if outcome is not None else float("nan"),
            "skipped": before[point.name] == "complete",
        })
    axes = _results.axis_columns(plan, [p.axes for p in plan.points])
    table = pd.DataFrame(rows)
    return pd.concat([table[["run"]], axes, table.drop(columns="run")], axis=1)
