"""One experiment end to end: train the ensemble, record, estimate, write, plot."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from infoplane import store
from infoplane._compiling import compiling_notice
from infoplane.config import RunConfig
from infoplane.datasets import load_dataset
from infoplane.nets.ensemble import make_engine, make_setup
from infoplane.nets.schedule import log_spaced_epochs
from infoplane.recorder import Recorder

MAX_CHUNK = 64
"""Epochs trained per engine call at most, so progress and Ctrl-C respond quickly."""
CHANCE_MARGIN = 0.01
"""A final train accuracy within this of the majority-class fraction is at chance."""


@dataclass(frozen=True)
class RunResult:
    """What a run wrote, and how it went."""

    out: Path
    information: pd.DataFrame
    training: pd.DataFrame
    gradients: pd.DataFrame
    epochs_trained: int
    interrupted: bool
    seconds: dict[str, float]
    note: str | None = None
    chance_accuracy: float | None = None
    """Train accuracy of always answering the majority class (mean over seeds)."""


def run(
    config: RunConfig, out: str | Path, *, quiet: bool = False, plots: bool = True
) -> RunResult:
    """Train ``config.seeds`` networks at once and write the run directory ``out``.

    Writes ``config.toml`` first, then ``information.parquet``, ``training.parquet``,
    ``gradients.parquet`` and the figures. On Ctrl-C the epochs trained so far are
    estimated and written (``RunResult.interrupted``) before KeyboardInterrupt is
    re-raised by the caller's choice: see :func:`infoplane.cli.main`.
    """
    out = Path(out)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    data = load_dataset(config.dataset, soft_labels=config.soft_labels, seed=config.seed)
    setup = make_setup(config, data)
    recorder = Recorder(setup, config, data)  # checks the estimators and their options
    engine = make_engine(setup, config, data)
    _check_out(out)
    store.write_text(out / store.CONFIG, config.to_toml())

    logged = log_spaced_epochs(config.epochs, config.log_epochs)
    recorder.snapshot(0, engine.params)
    interrupted = False
    bar = tqdm(total=config.epochs, desc="training", unit="epoch", disable=quiet, leave=False)
    try:
        with compiling_notice(bar) as notice:
            engine.train(0)  # compiles the kernels (first run only) before the clock runs
        if notice.compiled:
            bar.reset()
        done = 0
        for target in logged[1:]:
            while done < target:
                n = int(min(MAX_CHUNK, target - done))
                recorder.gradients(engine.train(n))
                done += n
                bar.update(n)
            recorder.snapshot(int(target), engine.params)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.close()
    timings["train"] = time.perf_counter() - start

    t0 = time.perf_counter()
    with tqdm(total=len(recorder.epochs), desc="information", unit="epoch",
              disable=quiet, leave=False) as est_bar, compiling_notice(est_bar):
        information, training = recorder.tables(progress=est_bar.update)
    gradients = recorder.gradients_table()
    timings["estimate"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    meta = {"config": config.to_toml(), "epochs_trained": str(recorder.n_epochs_trained)}
    store.write_table(out, "information", information, **meta)
    store.write_table(out, "training", training, **meta)
    store.write_table(out, "gradients", gradients, **meta)
    timings["write"] = time.perf_counter() - t0
    ib_note = None
    if config.ib:
        t0 = time.perf_counter()
        ib_note = write_ib_analysis(out, recorder, config, plots=plots)
        timings["ib"] = time.perf_counter() - t0
    if plots:
        t0 = time.perf_counter()
        from infoplane.plots import write_run_figures

        write_run_figures(out, information, training, gradients)
        timings["plot"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - start
    return RunResult(
        out=out, information=information, training=training, gradients=gradients,
        epochs_trained=recorder.n_epochs_trained, interrupted=interrupted, seconds=timings,
        note=ib_note, chance_accuracy=recorder.chance_accuracy(),
    )


def write_ib_analysis(out: Path, recorder: Recorder, config: RunConfig, *, plots: bool) -> str:
    """Write ib_curve.parquet, ib_layers.parquet and ib_bound.png; returns a note."""
    from infoplane import bound

    curve, curve_df = bound.curve_table(recorder.data)
    layers = bound.layers_table(recorder, curve, bins=config.bins)
    store.write_table(out, "ib_curve", curve_df)
    store.write_table(out, "ib_layers", layers)
    if plots:
        from infoplane.plots import write_ib_figure

        write_ib_figure(curve_df, layers, out / "ib_bound.png")
    return bound.describe(curve)


def _check_out(out: Path) -> None:
    from infoplane.errors import InfoplaneError

    if out.exists() and not out.is_dir():
        raise InfoplaneError(f"--out {out} exists and is not a directory")


def summary(result: RunResult) -> str:
    """A few lines for the terminal: final accuracies and where the files went."""
    tr = result.training
    last = tr[tr["epoch"] == tr["epoch"].max()]
    train_accuracy = float(np.nanmean(last["train_accuracy"]))
    lines = [
        f"{'interrupted after' if result.interrupted else 'trained'} "
        f"{result.epochs_trained} epochs x {tr['seed'].nunique()} seeds "
        f"in {result.seconds['total']:.1f} s",
        f"final accuracy (mean over seeds): train {train_accuracy:.3f}, "
        f"test {_mean_or_na(last['test_accuracy'])}",
        *_chance_warning(train_accuracy, result.chance_accuracy),
        "time: " + ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items()),
        *([result.note] if result.note else []),
        f"results in {result.out}/: " + ", ".join(
            sorted(p.name for p in result.out.iterdir() if not p.name.startswith("."))
        ),
    ]
    return "\n".join(lines)


def _chance_warning(train_accuracy: float, chance: float | None) -> list[str]:
    """A warning line if the final train accuracy is no better than the majority class."""
    if chance is None or not train_accuracy <= chance + CHANCE_MARGIN:
        return []
    return [
        f"warning: final train accuracy {train_accuracy:.2f} is at chance level (majority "
        f"class {chance:.2f}); the run may have diverged (lower --lr) or be too short"
    ]


def _mean_or_na(values: pd.Series) -> str:
    return "n/a (no test set)" if values.isna().all() else f"{np.nanmean(values):.3f}"
