"""Dispatch: make the plan's runs, here one after another or as tasks on Dask.

Runs already complete in the output directory are read back, not run again
(:func:`infoplane.run.reuse_or_run`); on Dask, :func:`infoplane.sweep._runs.run_configs`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from infoplane.reproduce._plan import Plan
from infoplane.run import RunResult, reuse_or_run


def dispatch(
    plan: Plan,
    out: Path,
    costs: list[float],
    bar: tqdm,
    *,
    plots: bool,
    quiet: bool,
    workers: int | None,
    scheduler: str | None,
    client: Any = None,
) -> tuple[dict[str, RunResult], dict[str, float]]:
    """Every run of ``plan`` under ``out/runs``: (results, seconds) by run key.

    ``costs`` (estimated seconds, one a run) advance ``bar``: here as each run ends, on
    Dask as each task ends (by its share of its run's cost). Raises KeyboardInterrupt
    after an interrupted run has written what it trained.
    """
    results: dict[str, RunResult] = {}
    run_seconds: dict[str, float] = {}
    if client is not None or scheduler is not None or workers not in (None, 0):
        # workers=0: here, as by default
        results, run_seconds = _on_dask(plan, out, costs, bar, plots=plots, quiet=quiet,
                                        workers=workers, scheduler=scheduler, client=client)
    for k, (spec, cost) in enumerate(zip(plan.runs, costs, strict=True), start=1):
        if spec.key in results:
            continue
        bar.set_description(f"reproduce [{k}/{len(plan.runs)}] {spec.experiment}: {spec.label}")
        t0 = time.perf_counter()
        result = reuse_or_run(spec.config, out / "runs" / spec.key, quiet=quiet, plots=plots)
        if result.interrupted:
            raise KeyboardInterrupt
        results[spec.key] = result
        run_seconds[spec.key] = time.perf_counter() - t0
        bar.update(round(cost))
    return results, run_seconds


def _on_dask(
    plan: Plan,
    out: Path,
    costs: list[float],
    bar: tqdm,
    *,
    plots: bool,
    quiet: bool,
    workers: int | None,
    scheduler: str | None,
    client: Any,
) -> tuple[dict[str, RunResult], dict[str, float]]:
    """The runs as tasks on Dask (:func:`infoplane.sweep._runs.run_configs`); ``bar``
    advances as tasks finish and counts the runs done."""
    from infoplane.sweep._runs import run_configs

    cost = {s.key: c for s, c in zip(plan.runs, costs, strict=True)}
    runs = len(plan.runs)
    left = dict.fromkeys(cost, 1.0)  # the share of each run's cost not yet shown
    advanced = 0.0

    def describe() -> None:
        done = sum(share <= 1e-9 for share in left.values())
        bar.set_description(f"reproduce: {done}/{runs} runs on Dask")

    def progress(run: str, share: float) -> None:
        nonlocal advanced
        step = min(share, left[run])
        left[run] -= step
        advanced += step * cost[run]
        describe()
        bar.update(round(advanced) - bar.n)

    describe()
    results, seconds = run_configs(
        {s.key: s.config for s in plan.runs}, out, workers=workers, scheduler=scheduler,
        client=client, quiet=quiet, plots=plots, progress=progress,
    )
    bar.update(round(sum(costs)) - bar.n)  # runs complete before: skipped, no tasks
    left = dict.fromkeys(cost, 0.0)
    describe()
    return results, seconds
