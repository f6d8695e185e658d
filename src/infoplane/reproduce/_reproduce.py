"""``infoplane reproduce``: every experiment of the paper and its critiques, one report."""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from infoplane import store
from infoplane.analysis import (
    BOOTSTRAP_RESAMPLES,
    compression,
    compression_durations,
    compression_replicates,
    epochs_to_fit,
    error_epoch,
    input_label_information,
    percentile_interval,
    phase_fractions,
    phases_replicates,
    phases_table,
    seed_resamples,
    select_estimator,
)
from infoplane.datasets import load_dataset
from infoplane.errors import InfoplaneError
from infoplane.reproduce import _claims, _figures
from infoplane.reproduce._claims import Verdict
from infoplane.reproduce._display import runs_table, sections
from infoplane.reproduce._plan import (
    ERROR_LEVEL,
    IB_GAMMA,
    Plan,
    estimated_seconds,
    make_plan,
)
from infoplane.reproduce._report import render
from infoplane.reproduce._scale import FULL, Scale
from infoplane.run import RunResult, reuse_or_run

SECONDS_PER_GIF_FRAME = 0.2
SECONDS_FOR_REPORT = 15.0
"""Rough costs of the last stage, to weigh the overall progress bar."""


@dataclass(frozen=True)
class ReproduceResult:
    """What :func:`reproduce` wrote and concluded."""

    out: Path
    verdicts: tuple[Verdict, ...]
    phases: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    notes: tuple[str, ...]
    run_seconds: dict[str, float]
    seconds: float

    @property
    def report(self) -> Path:
        return self.out / "index.html"


def reproduce(
    out: str | Path,
    *,
    scale: Scale = FULL,
    quiet: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
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
        epochs, about 20 min on 2 cores) or :data:`QUICK` (a first look in a minute or two).
    quiet : bool, default False
        No progress bars.
    workers, scheduler : int or str, optional
        Make the runs as tasks on Dask (see :func:`infoplane.sweep.sweep`): a local
        cluster of ``workers`` processes, or the scheduler at that address. Runs already
        complete in ``out`` are skipped, so a rerun after a crash resumes. Default (and
        ``workers=0``): one run after another in this process, each with its progress.

    Raises
    ------
    InfoplaneError
        If ``out`` is an existing file. KeyboardInterrupt propagates after the
        interrupted run has written what it trained.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InfoplaneError(f"--out {out} exists and is not a directory")
    start = time.perf_counter()
    plan = make_plan(scale)
    costs = [estimated_seconds(s, plots=scale.run_plots) for s in plan.runs]
    final = SECONDS_FOR_REPORT + SECONDS_PER_GIF_FRAME * scale.gif_frames
    results: dict[str, RunResult] = {}
    run_seconds: dict[str, float] = {}
    bar = tqdm(
        total=round(sum(costs) + final),
        disable=quiet,
        unit="s",
        bar_format="{desc}: {percentage:3.0f}%|{bar}| [{elapsed} elapsed, ETA {remaining}]",
    )
    try:
        if scheduler is not None or workers not in (None, 0):  # 0: here, as by default
            from infoplane.sweep._runs import run_configs

            bar.set_description(f"reproduce: {len(plan.runs)} runs on Dask")
            results, run_seconds = run_configs(
                {s.key: s.config for s in plan.runs}, out, workers=workers,
                scheduler=scheduler, quiet=True, plots=scale.run_plots,
            )
            bar.update(round(sum(costs)))
        for k, (spec, cost) in enumerate(zip(plan.runs, costs, strict=True), start=1):
            if spec.key in results:
                continue
            bar.set_description(f"reproduce [{k}/{len(plan.runs)}] {spec.experiment}: {spec.label}")
            t0 = time.perf_counter()
            result = reuse_or_run(
                spec.config, out / "runs" / spec.key, quiet=quiet, plots=scale.run_plots
            )
            if result.interrupted:
                raise KeyboardInterrupt
            results[spec.key] = result
            run_seconds[spec.key] = time.perf_counter() - t0
            bar.update(round(cost))
        bar.set_description("reproduce: analysis, figures and report")
        report = _analyse_and_report(out, plan, scale, results, run_seconds, start)
        bar.update(bar.total - bar.n)
    finally:
        bar.close()
    return report


@dataclass(frozen=True)
class _Measured:
    """Every table of the reproduction, and what claim 3 and the report need besides."""

    tables: dict[str, pd.DataFrame]
    relu: pd.DataFrame
    tanh: pd.DataFrame
    estimators: pd.DataFrame
    ib_layers: pd.DataFrame | None
    ib_curve: pd.DataFrame | None
    ib_note: str
    i_xy: float
    i_xy_soft: float
    notes: tuple[str, ...]
    replicates: dict[str, pd.DataFrame]
    """Resamples of the seeds behind the verdicts' intervals: phases, depth, relu, ib."""


def _analyse_and_report(
    out: Path,
    plan: Plan,
    scale: Scale,
    results: dict[str, RunResult],
    run_seconds: dict[str, float],
    start: float,
) -> ReproduceResult:
    measured = _measure(out, plan, results)
    tables = measured.tables
    boot = measured.replicates
    verdicts = (
        _claims.claim1(tables["phases"], boot["phases"]),
        _claims.claim2(tables["phases"], boot["phases"]),
        _claims.claim3(
            tables.get("ib"), measured.i_xy_soft, note=measured.ib_note, replicates=boot.get("ib")
        ),
        _claims.claim4(tables["depth"], boot["depth"]),
        _claims.critique_relu(measured.relu, measured.tanh, boot["relu"]),
        _claims.critique_estimators(measured.estimators, plan.missing_estimators),
    )
    for name, table in tables.items():
        _write_table(out / f"{name}.parquet", table, scale)
    claims = {"scale": asdict(scale), "claims": [v.as_dict() for v in verdicts]}
    store.write_text(out / "claims.json", json.dumps(claims, indent=2) + "\n")
    figures = _draw_figures(out, plan, scale, results, measured)

    from infoplane.plots.animation import write_information_plane_gif

    gif = write_information_plane_gif(
        results[plan.main].information,
        out / "information_plane.gif",
        max_frames=scale.gif_frames,
    )
    base = plan.spec(plan.main).config
    seconds = time.perf_counter() - start
    page = render(
        title="infoplane reproduce: Shwartz-Ziv & Tishby (2017) and its critiques",
        subtitle=(
            f"{base.seeds} seeds x {base.epochs} epochs (about {base.log_epochs} "
            f"logged epochs), {len(plan.runs)} runs in {seconds / 60:.1f} min. "
            "Information in bits; layer 1 is the first hidden layer, the last is "
            "the softmax output."
        ),
        verdicts=verdicts,
        sections=sections(
            plan, scale, verdicts, figures, gif, tables, measured.i_xy, measured.i_xy_soft
        ),
        settings=pd.DataFrame(
            {"setting": list(asdict(scale)), "value": [str(v) for v in asdict(scale).values()]}
        ),
        runs=runs_table(plan, run_seconds),
        notes=measured.notes,
    )
    store.write_text(out / "index.html", page)
    return ReproduceResult(
        out=out,
        verdicts=verdicts,
        phases=tables["phases"],
        tables=tables,
        notes=measured.notes,
        run_seconds=run_seconds,
        seconds=time.perf_counter() - start,
    )


def _measure(out: Path, plan: Plan, results: dict[str, RunResult]) -> _Measured:
    """The tables of every claim, from the runs' tables (and the IB run's files)."""
    notes = []
    main = results[plan.main]
    base = plan.spec(plan.main).config

    # Claims 1 and 2: the main (85%) run; claim 1 also per training-set size.
    phases = phases_table(main.information, main.gradients, main.training)
    replicates = {
        "phases": phases_replicates(main.information, main.gradients),
        "relu": compression_replicates(results[plan.relu].information),
    }
    sizes = pd.concat(
        [
            _layer_summary(results[key].information).assign(train_fraction=fraction)
            for fraction, key in plan.sizes.items()
        ],
        ignore_index=True,
    )
    sizes = sizes[["train_fraction"] + [c for c in sizes.columns if c != "train_fraction"]]

    # Claim 4: depth.
    i_xy = input_label_information(load_dataset(base.dataset).p_y_given_x)
    depth_rows, durations, depth_boot = [], [], []
    for depth, key in plan.depths.items():
        r = results[key]
        fit = epochs_to_fit(r.information, i_xy).set_index("layer").loc[depth]
        first = float(r.information["epoch"].min())
        err_epoch, err_boot = error_epoch(r.training, ERROR_LEVEL, n_boot=BOOTSTRAP_RESAMPLES)
        err_low, err_high = percentile_interval(err_boot)
        depth_boot.append(
            pd.DataFrame({"replicate": np.arange(err_boot.size), "depth": depth,
                          "error_epoch": err_boot})
        )
        depth_rows.append(
            {
                "depth": depth,
                "widths": "-".join(map(str, plan.spec(key).config.widths)),
                "run": key,
                "last_hidden_layer": depth,
                **{c: float(fit[c]) for c in ("fit_epoch", "fit_median", "fit_q25", "fit_q75")},
                "n_reached": int(fit["n_reached"]),
                "n_seeds": int(fit["n_seeds"]),
                "fit_at_init": bool(fit["fit_median"] <= first),
                "error_epoch": err_epoch,
                "error_epoch_ci_low": err_low,
                "error_epoch_ci_high": err_high,
                "final_train_accuracy": _final_accuracy(r.training, "train_accuracy"),
                "final_test_accuracy": _final_accuracy(r.training, "test_accuracy"),
            }
        )
        durations.append(compression_durations(r.information).assign(depth=depth))
    replicates["depth"] = pd.concat(depth_boot, ignore_index=True)
    depth_comp = pd.concat(durations, ignore_index=True)
    depth_comp = depth_comp[["depth"] + [c for c in depth_comp.columns if c != "depth"]]

    # Critiques: ReLU against tanh; each estimator on the same tanh networks.
    relu = _layer_summary(results[plan.relu].information)
    tanh = _layer_summary(main.information)
    critique_rows = [
        relu.assign(network="relu", estimator="binning", run=plan.relu),
        tanh.assign(network="tanh", estimator="binning", run=plan.main),
    ]
    estimator_rows = pd.DataFrame()
    if plan.estimators is not None:
        est = results[plan.estimators].information
        estimator_rows = pd.concat(
            [
                _layer_summary(est, estimator=name).assign(
                    network="tanh", estimator=name, run=plan.estimators
                )
                for name in est["estimator"].unique()
            ],
            ignore_index=True,
        )
        critique_rows.append(estimator_rows)
    critiques = pd.concat(critique_rows, ignore_index=True)
    first = ["run", "network", "estimator"]
    critiques = critiques[first + [c for c in critiques.columns if c not in first]]
    if plan.missing_estimators:
        notes.append(
            f"Estimator(s) {', '.join(plan.missing_estimators)} are not registered "
            "in this installation (infoplane.estimators.available_estimators()); "
            "their part of the critiques was skipped."
        )

    tables = {
        "phases": phases,
        "sizes": sizes,
        "depth": pd.DataFrame(depth_rows),
        "depth_compression": depth_comp,
        "critiques": critiques,
    }

    # Claim 3: the IB run's files, if it wrote them.
    ib_dir = out / "runs" / plan.ib
    ib_layers = ib_curve = None
    ib_note = ""
    if (ib_dir / "ib_layers.parquet").is_file():
        ib_layers = store.read_table(ib_dir, "ib_layers")
        if (ib_dir / "ib_curve.parquet").is_file():
            ib_curve = store.read_table(ib_dir, "ib_curve")
        tables["ib"] = _ib_final(ib_layers, results[plan.ib].information)
        replicates["ib"] = _ib_replicates(ib_layers)
    else:
        why = (
            f"the IB analysis is not implemented in this installation ({plan.ib_missing}),"
            " so the soft-label run was made without --ib"
            if plan.ib_missing
            else "the IB run wrote no ib_layers.parquet"
        )
        ib_note = f"Claim 3 was not tested: {why}."
    i_xy_soft = input_label_information(
        load_dataset(base.dataset, soft_labels=IB_GAMMA).p_y_given_x
    )
    return _Measured(
        tables=tables,
        relu=relu,
        tanh=tanh,
        estimators=estimator_rows,
        ib_layers=ib_layers,
        ib_curve=ib_curve,
        ib_note=ib_note,
        i_xy=i_xy,
        i_xy_soft=i_xy_soft,
        notes=tuple(notes),
        replicates=replicates,
    )


def _draw_figures(
    out: Path, plan: Plan, scale: Scale, results: dict[str, RunResult], measured: _Measured
) -> dict[str, Path]:
    """The report's figures under ``out/figures``, by key (fig2 ... fig6, critiques)."""
    figures = out / "figures"
    main = results[plan.main]
    tables = measured.tables
    pct = {key: f"{round(100 * f)}% training set" for f, key in plan.sizes.items()}
    size_info = {pct[key]: results[key].information for key in plan.sizes.values()}
    seeds = plan.spec(plan.main).config.seeds
    fig = {
        "fig2": _figures.layer_snapshots(
            size_info, scale.snapshot_epoch, figures / "fig2_layer_snapshots.png"
        ),
        "fig3": _figures.information_planes(size_info, figures / "fig3_information_planes.png"),
        "fig4": _figures.snr(
            main.gradients,
            f"gradient mean (solid) and std (dashed), {pct[plan.main]}, mean of {seeds} seeds",
            figures / "fig4_snr.png",
        ),
        "training": _figures.training(main.training, figures / "fig4_training.png"),
        "fig5": _figures.information_planes(
            {
                f"{d} hidden layer{'s' if d > 1 else ''} "
                f"({'-'.join(map(str, plan.spec(k).config.widths))})": results[k].information
                for d, k in plan.depths.items()
            },
            figures / "fig5_depth_planes.png",
            ncols=3,
        ),
        "fig5_times": _figures.depth(
            tables["depth"],
            tables["depth_compression"],
            float(scale.epochs),
            figures / "fig5_depth_times.png",
        ),
    }
    panels = {
        f"tanh, binning ({pct[plan.main]})": main.information,
        "ReLU, binning (Saxe et al.)": results[plan.relu].information,
    }
    chosen = {}
    if plan.estimators is not None:
        info = results[plan.estimators].information
        for name in info["estimator"].unique():
            n = info["seed"].nunique()
            title = f"tanh, {name} ({n} seed{'s' if n > 1 else ''}, critique run)"
            panels[title] = info
            chosen[title] = name
    fig["critiques"] = _figures.information_planes(
        panels, figures / "critiques_planes.png", estimators=chosen, ncols=3
    )
    if measured.ib_layers is not None and measured.ib_curve is not None:
        try:
            drawn = _figures.ib_bound(
                measured.ib_curve, measured.ib_layers, figures / "fig6_ib_bound.png"
            )
        except Exception as exc:  # another module's figure must not sink hours of runs
            warnings.warn(
                f"plot_ib_bound failed ({exc!r}); using the run's ib_bound.png", stacklevel=2
            )
            drawn = None
        if drawn is not None:
            fig["fig6"] = drawn
    run_figure = out / "runs" / plan.ib / "ib_bound.png"
    if "fig6" not in fig and run_figure.is_file():
        fig["fig6"] = run_figure
    return fig


def _layer_summary(information: pd.DataFrame, estimator: str | None = None) -> pd.DataFrame:
    """Per layer: compression and phase split, plus the final seed-mean I(T;Y)."""
    comp = compression(information, estimator=estimator)
    frac = phase_fractions(information, estimator=estimator)
    rows, _ = select_estimator(information, estimator)
    last = rows[rows["epoch"] == rows["epoch"].max()].groupby("layer")["ity"].mean()
    table = comp[
        [
            "layer",
            "onset_epoch",
            "peak_ixt",
            "final_ixt",
            "compression_bits",
            "compression_bits_median",
            "compression_bits_q25",
            "compression_bits_q75",
            "compression_bits_ci_low",
            "compression_bits_ci_high",
            "compresses",
        ]
    ].merge(frac[["layer", "compression_fraction", "compression_fraction_log"]], on="layer")
    table["final_ity"] = table["layer"].map(last)
    table.insert(1, "hidden", table["layer"] < table["layer"].max())
    return table


def _final_accuracy(training: pd.DataFrame, column: str) -> float:
    last = training[training["epoch"] == training["epoch"].max()]
    values = last[column].to_numpy(dtype=float)
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")


def _ib_final(ib_layers: pd.DataFrame, information: pd.DataFrame) -> pd.DataFrame:
    """The IB table at its last epoch: per layer, medians over seeds."""
    last = ib_layers[ib_layers["epoch"] == ib_layers["epoch"].max()]
    table = last.groupby("layer", as_index=False)[list(IB_COLUMNS)].median()
    table.insert(1, "hidden", table["layer"] < information["layer"].max())
    table.insert(1, "epoch", int(last["epoch"].max()))
    return table


IB_COLUMNS = ("ixt", "ity", "gap", "beta", "kl_at_beta")
"""The ib_layers columns summarised (median over seeds) at the last epoch."""


def _ib_replicates(ib_layers: pd.DataFrame) -> pd.DataFrame:
    """The last epoch's per-layer medians over seeds, on resamples of the seeds."""
    last = ib_layers[ib_layers["epoch"] == ib_layers["epoch"].max()]
    seeds = np.sort(last["seed"].unique())
    picks = seed_resamples(seeds.size)
    parts = []
    for layer, rows in last.groupby("layer", sort=True):
        values = rows.set_index("seed").reindex(seeds)[list(IB_COLUMNS)].to_numpy(float)
        medians = np.nanmedian(values[picks], axis=1)  # (n_boot, columns)
        parts.append(
            pd.DataFrame(medians, columns=list(IB_COLUMNS)).assign(
                replicate=np.arange(picks.shape[0]), layer=int(layer)
            )
        )
    return pd.concat(parts, ignore_index=True)


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
