"""Dispatch: make the plan's runs, here one after another or as tasks on Dask.

Runs already complete in the output directory are read back, not run again
(:func:`infoplane.run.reuse_or_run`); on Dask, :func:`infoplane.sweep._runs.run_configs`.
"""

from __future__ import annotations

import time
from pathlib import Path

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
) -> tuple[dict[str, RunResult], dict[str, float]]:
    """Every run of ``plan`` under ``out/runs``: (results, seconds) by run key.

    ``costs`` (estimated seconds, one a run) advance ``bar``. Raises KeyboardInterrupt
    after an interrupted run has written what it trained.
    """
    results: dict[str, RunResult] = {}
    run_seconds: dict[str, float] = {}
    if scheduler is not None or workers not in (None, 0):  # 0: here, as by default
        from infoplane.sweep._runs import run_configs

        bar.set_description(f"reproduce: {len(plan.runs)} runs on Dask")
        results, run_seconds = run_configs(
            {s.key: s.config for s in plan.runs}, out, workers=workers,
            scheduler=scheduler, quiet=True, plots=plots,
        )
        bar.update(round(sum(costs)))
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
