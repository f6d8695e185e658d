"""One experiment end to end: train the ensemble, record, estimate, write, plot."""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from infoplane import _prewarm, checkpoint, estimation, store
from infoplane._compiling import COMPILING, compiling_notice
from infoplane.config import RunConfig
from infoplane.datasets import Dataset, load_dataset
from infoplane.errors import InfoplaneError, StorageError, os_error, wrapped_interrupt
from infoplane.nets.ensemble import EngineState, make_engine, make_setup
from infoplane.nets.schedule import log_spaced_epochs
from infoplane.recorder import Recorder
from infoplane.rundir import STATUS, DirectoryInUse, RunDir, read_status, signals_held

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
    config: RunConfig, out: str | Path, *, quiet: bool = False, plots: bool = True,
    overwrite: bool = False, resume: bool = False, seed_range: range | None = None,
    defer: tuple[str, ...] = (),
) -> RunResult:
    """Train ``config.seeds`` networks at once and write the run directory ``out``.

    Writes ``config.toml``, ``status.json`` and ``manifest.json`` first (see
    :mod:`infoplane.rundir`), a checkpoint at every logged epoch (:mod:`infoplane.
    checkpoint`) while training, then ``information.parquet``, ``training.parquet``,
    ``gradients.parquet`` and the figures; the status says ``complete`` last.

    Parameters
    ----------
    overwrite : bool, default False
        Replace the run that ``out`` holds (its own files only); without it, a
        directory holding another run is refused.
    resume : bool, default False
        Continue the run in ``out`` (which must have been started with ``config``)
        from its last checkpoint; see :func:`resume`.
    seed_range : range, optional
        Internal, for sweeps: train only those seeds, a shard of the run. Everything
        drawn once per run (the data set's soft labels) still comes from
        ``config.seed``, so the shards' tables together equal the whole run's.
    defer : tuple of str, default ()
        Internal, for sweeps: estimators of the run whose units are left to other
        tasks (:func:`estimate_units`). The run trains, writes the units of its other
        estimators and the training rows, and stops with the status ``running`` in
        phase ``estimation`` and empty tables; resuming it (:func:`reuse_or_run`) once
        the units are written assembles the tables as an uninterrupted run would.

    On Ctrl-C (or SIGTERM) during training the epochs trained so far are estimated
    and written, the status says ``interrupted`` and ``RunResult.interrupted`` is
    set; during estimation or writing, KeyboardInterrupt propagates after the status
    is set, with the checkpoint and the information rows done so far kept.

    Raises
    ------
    InfoplaneError
        Bad settings, a directory in use or holding another run, a data set changed
        since the run started, a need for memory beyond what is available, a full disk,
        a read-only path, or training that diverges.
    """
    out = Path(out)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    prewarm = _prewarm.for_run(config)  # a cold cache: children compile meanwhile
    try:
        return _open_and_run(config, out, prewarm, timings, start, quiet=quiet, plots=plots,
                             overwrite=overwrite, resume=resume, seed_range=seed_range,
                             defer=defer)
    finally:
        prewarm.stop()  # those still running when the run stops or fails


def _open_and_run(
    config: RunConfig, out: Path, prewarm: _prewarm.Prewarm, timings: dict[str, float],
    start: float, *, quiet: bool, plots: bool, overwrite: bool, resume: bool,
    seed_range: range | None, defer: tuple[str, ...],
) -> RunResult:
    data = run_dataset(config)
    config = with_dataset_version(config, data)
    setup = make_setup(config, data, seed_range)
    recorder = Recorder(setup, config, data)  # checks the estimators and their options
    logged = log_spaced_epochs(config.epochs, config.log_epochs)
    estimation.check_memory(recorder, len(logged))
    engine = make_engine(setup, config, data)
    if resume and (out / store.CONFIG).is_file():
        if RunConfig.from_toml(out / store.CONFIG) != config:
            raise InfoplaneError(f"{out} holds a run of another configuration; "
                                 f"resume it with: infoplane run --resume {out}")
    with RunDir.open(out, config_toml=config.to_toml(), epochs=config.epochs,
                     overwrite=overwrite, resume=resume) as rd:
        try:
            return _run(rd, recorder, engine, logged, prewarm, timings, start, quiet=quiet,
                        plots=plots, resume=resume,
                        defer=tuple(n for n in defer if n in config.estimators))
        except KeyboardInterrupt:
            _mark(rd, "interrupted")
            raise
        except MemoryError:
            error = InfoplaneError(
                f"out of memory during {rd.status.phase} in {out}"
                f"{_kept(rd)}; use fewer --seeds or narrower --widths"
            )
            _mark(rd, "failed", reason=str(error))
            raise error from None
        except (OSError, StorageError) as exc:
            error = exc if isinstance(exc, StorageError) else os_error(
                exc, f"cannot write the run to {out}")
            error = StorageError(f"{error}{_kept(rd)}")
            _mark(rd, "failed", reason=str(error))
            raise error from None
        except Exception as exc:
            interrupt = wrapped_interrupt(exc)
            if interrupt is not None:  # Ctrl-C inside a compiled kernel's callback
                _mark(rd, "interrupted")
                raise interrupt from None
            _mark(rd, "failed", reason=str(exc) if isinstance(exc, InfoplaneError)
                  else f"{type(exc).__name__}: {exc}")
            raise


def resume(out: str | Path, *, quiet: bool = False, plots: bool = True) -> RunResult:
    """Continue the interrupted, killed or failed run in ``out`` (its own config.toml).

    The finished tables are those an uninterrupted run of the same config writes.
    Raises InfoplaneError if ``out`` holds no run to resume or is in use.
    """
    out = Path(out)
    status = read_status(out)
    if status is None or not (out / store.CONFIG).is_file():
        raise InfoplaneError(f"{out} holds no run to resume (no {STATUS} and {store.CONFIG})")
    if status.state == "complete":
        raise InfoplaneError(f"{out} is already complete; nothing to resume")
    source = store.run_source(out)
    if source:
        raise InfoplaneError(f"{out} holds a run of {source}, not of `infoplane run`; "
                             "it cannot be resumed here")
    return run(RunConfig.from_toml(out / store.CONFIG), out, quiet=quiet, plots=plots,
               resume=True)


def run_dataset(config: RunConfig) -> Dataset:
    """The data set ``config`` trains on: its task or files, soft labels, label column
    and probe set (see :func:`infoplane.datasets.load_dataset`)."""
    return load_dataset(config.dataset, soft_labels=config.soft_labels, seed=config.seed,
                        label_column=config.label_column, probe_size=config.probe_size)


def with_dataset_version(config: RunConfig, data: Dataset) -> RunConfig:
    """``config`` with the data set's version recorded (a digest of its arrays).

    Raises InfoplaneError if ``config`` already records another version: the data
    set (a built-in task or a file) changed since the run was configured.
    """
    digest = hashlib.sha256()
    for array in (data.X, data.y):
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.tobytes())
    version = f"sha256:{digest.hexdigest()[:16]}"
    if config.dataset_version not in (None, version):
        raise InfoplaneError(
            f"the data set {config.dataset!r} has changed since this run was configured "
            f"(dataset_version {config.dataset_version}, now {version}); start a new run"
        )
    return config.replace(dataset_version=version)


def reuse_or_run(
    config: RunConfig, out: str | Path, *, quiet: bool = False, plots: bool = True,
    seed_range: range | None = None, defer: tuple[str, ...] = (),
) -> RunResult:
    """The run of ``config`` in ``out``: read back if complete, resumed if stopped,
    else run afresh (replacing what ``out`` holds). For directories a program owns.
    ``seed_range`` and ``defer``: see :func:`run`.

    Raises :class:`~infoplane.rundir.DirectoryInUse` if another process holds ``out``
    (its run is never replaced), InfoplaneError as :func:`run` otherwise."""
    out = Path(out)
    status = read_status(out)
    same = False
    if status is not None and (out / store.CONFIG).is_file():
        try:
            stored = RunConfig.from_toml(out / store.CONFIG)
        except InfoplaneError:
            stored = None
        same = stored is not None and stored.replace(dataset_version=None) == config.replace(
            dataset_version=None)
    if same and status is not None and status.state == "complete":
        return load_result(out)
    if same and status is not None and (out / checkpoint.DIR).is_dir():
        try:
            return run(stored, out, quiet=quiet, plots=plots, resume=True,
                       seed_range=seed_range, defer=defer)
        except DirectoryInUse:  # another process writes it: never replace its run
            raise
        except InfoplaneError:  # e.g. the data set changed: start anew
            pass
    return run(config, out, quiet=quiet, plots=plots, overwrite=True, seed_range=seed_range,
               defer=defer)


def estimate_units(
    out: str | Path, estimator: str, at: list[list[int]], *, seed_range: range | None = None,
) -> int:
    """Write the information units of ``estimator`` for the groups of logged epochs
    ``at`` (see :mod:`infoplane.estimation`) of the trained run in ``out``, from its
    config.toml and checkpoints; units already written are skipped. Returns how many
    were written. ``seed_range``: the shard of seeds ``out`` holds, as given to :func:`run`.

    This is a sweep's estimator task: it takes no lock (each unit is its own file,
    written atomically), so several run at once on one run directory.

    Raises
    ------
    InfoplaneError
        If ``out`` has no config, the data set changed, or a checkpoint of ``at`` is missing.
    """
    out = Path(out)
    if not (out / store.CONFIG).is_file():
        raise InfoplaneError(f"{out} holds no run to estimate (no {store.CONFIG})")
    todo = [g for g in at if not estimation.unit_done(out, estimator, g)]
    if not todo:
        return 0
    config = RunConfig.from_toml(out / store.CONFIG)
    data = run_dataset(config)
    config = with_dataset_version(config, data)
    setup = make_setup(config, data, seed_range)
    recorder = Recorder(setup, config, data)
    wanted = {e for g in todo for e in g}
    for cp in checkpoint.load(out, setup.seeds):
        if cp.epoch in wanted:
            recorder.snapshot(cp.epoch, cp.state.params)
    lost = sorted(wanted - set(recorder.epochs))
    if lost:
        raise InfoplaneError(f"{out} has no checkpoint of logged epoch(s) {lost[:5]}; "
                             "resume the run to train them again")
    estimation.write_units(recorder, out, (estimator,), at=todo, training=False,
                           batch=estimation.snapshot_batch(recorder))
    return len(todo)


def load_result(out: str | Path) -> RunResult:
    """The tables of the complete run in ``out``, as :func:`run` returned them."""
    out = Path(out)
    tables = {name: store.read_table(out, name)
              for name in ("information", "training", "gradients")}
    status = read_status(out)
    return RunResult(out=out, **tables, epochs_trained=status.epochs_trained if status else 0,
                     interrupted=False, seconds={"total": 0.0})


def _run(
    rd: RunDir, recorder: Recorder, engine: Any, logged: np.ndarray,
    prewarm: _prewarm.Prewarm, timings: dict[str, float], start: float, *, quiet: bool,
    plots: bool, resume: bool,
    defer: tuple[str, ...] = (),
) -> RunResult:
    out, config = rd.path, recorder.config
    rd.claim(checkpoint.DIR, store.LABELS)
    store.write_text(out / store.LABELS, recorder.data.labels_json())
    done = _restore(rd, recorder, engine, logged) if resume else -1
    if done < 0:
        _checkpoint(rd, recorder, 0, engine.state(), [])
        done = 0
    interrupted = False
    pending: list[np.ndarray] = []
    bar = tqdm(total=config.epochs, initial=done, desc="training", unit="epoch",
               disable=quiet, leave=False)
    try:
        waited = prewarm.running("training")  # a cold cache: a child compiles the kernel
        if waited:
            bar.set_description(COMPILING)
            if plots:
                _import_figures()  # meanwhile, instead of after training
            prewarm.wait("training")
            bar.set_description("training")
        # compiling here too (a child failed), the estimation kernels compile in another
        with compiling_notice(bar, on_first=prewarm.start_estimation) as notice:
            engine.train(0)  # compiles or loads the kernel before the clock runs
        if notice.compiled or waited:
            bar.reset()
            bar.update(done)
        for target in (int(t) for t in logged[1:] if t > done):
            while done < target:
                n = int(min(MAX_CHUNK, target - done))
                stats = engine.train(n)
                recorder.gradients(stats)
                pending.append(stats)
                done += n
                bar.update(n)
            _checkpoint(rd, recorder, target, engine.state(), pending)
            pending = []
    except KeyboardInterrupt:
        interrupted = True
    except SystemError as exc:  # Ctrl-C inside a compiled kernel's callback
        if wrapped_interrupt(exc) is None:
            raise
        interrupted = True
    finally:
        bar.close()
        if interrupted:  # what was trained is estimated next, with the child's kernels
            prewarm.stop("training")
    timings["train"] = time.perf_counter() - start
    prewarm.wait("estimation")  # its kernels are in the cache now

    t0 = time.perf_counter()
    batch = estimation.snapshot_batch(recorder)
    if defer and not interrupted:  # the deferred estimators' units: other tasks
        rd.set_status("running", phase="estimation")
        own = tuple(name for name in recorder.options if name not in defer)
        estimation.write_units(recorder, out, own, batch=batch, claim=rd.claim)
        timings["estimate"] = time.perf_counter() - t0
        timings["total"] = time.perf_counter() - start
        empty = pd.DataFrame()
        return RunResult(
            out=out, information=empty, training=empty, gradients=empty,
            epochs_trained=recorder.n_epochs_trained, interrupted=False, seconds=timings,
            note=f"estimation of {', '.join(defer)} left to separate tasks",
        )
    if interrupted:
        _mark(rd, "interrupted", epochs_trained=recorder.n_epochs_trained,
              last_measured_epoch=recorder.epochs[-1])
        estimate = partial(estimation.estimate_in_memory, recorder, batch=batch)
    else:
        rd.set_status("running", phase="estimation")
        estimate = partial(estimation.estimate, recorder, out, batch=batch, claim=rd.claim)
    with tqdm(total=len(recorder.epochs), desc="information", unit="epoch",
              disable=quiet, leave=False) as est_bar, compiling_notice(est_bar):
        information, training = estimate(progress=est_bar.update)
    gradients = recorder.gradients_table()
    timings["estimate"] = time.perf_counter() - t0

    if not interrupted:
        rd.set_status("running", phase="writing")
    t0 = time.perf_counter()
    meta = {"config": config.to_toml(), "epochs_trained": str(recorder.n_epochs_trained)}
    for name, table in (("information", information), ("training", training),
                        ("gradients", gradients)):
        rd.claim(f"{name}.parquet")
        store.write_table(out, name, table, **meta)
    timings["write"] = time.perf_counter() - t0
    ib_note = None
    if config.ib:
        t0 = time.perf_counter()
        rd.claim("ib_curve.parquet", "ib_layers.parquet", "ib_bound.png")
        ib_note = write_ib_analysis(out, recorder, config, plots=plots)
        timings["ib"] = time.perf_counter() - t0
    if plots:
        t0 = time.perf_counter()
        from infoplane.plots import write_run_figures

        rd.claim("information_plane.png", *(f"information_plane_{name}.png"
                                            for name in config.estimators),
                 "snr.png", "training.png")
        write_run_figures(out, information, training, gradients)
        timings["plot"] = time.perf_counter() - t0
    if not interrupted:
        rd.set_status("complete", phase="done")
        for folder in (estimation.INFO_DIR, estimation.TRAINING_DIR):
            shutil.rmtree(out / folder, ignore_errors=True)
    timings["total"] = time.perf_counter() - start
    return RunResult(
        out=out, information=information, training=training, gradients=gradients,
        epochs_trained=recorder.n_epochs_trained, interrupted=interrupted, seconds=timings,
        note=ib_note, chance_accuracy=recorder.chance_accuracy(),
    )


def _import_figures() -> None:
    """Import the figure modules (matplotlib, 0.7-0.8 s on the 2-core host).

    A first run calls this while it waits for its training child to compile the
    training kernel (issue 15), on the core that child leaves, so that its figures
    do not wait for the import after training; a warm run imports them when it draws.
    An import that fails here fails again when the run draws, after training, as it
    would without this.
    """
    with contextlib.suppress(ImportError):
        import infoplane.plots  # noqa: F401


def _checkpoint(
    rd: RunDir, recorder: Recorder, epoch: int, state: EngineState, pending: list[np.ndarray]
) -> None:
    """Keep the snapshot of ``epoch`` and write its checkpoint (Ctrl-C held meanwhile)."""
    setup = recorder.setup
    stats = (np.concatenate(pending) if pending else
             np.zeros((0, len(setup.seeds), setup.layout.n_layers, 3), dtype=np.float32))
    with signals_held():
        recorder.snapshot(epoch, state.params)
        checkpoint.save(rd.path, setup.seeds,
                        checkpoint.Checkpoint(epoch=epoch, state=state, grad_stats=stats))
        rd.set_status("running", phase="training", epochs_trained=recorder.n_epochs_trained,
                      last_measured_epoch=epoch, checkpoint_epoch=epoch)


def _restore(rd: RunDir, recorder: Recorder, engine: Any, logged: np.ndarray) -> int:
    """Load the run's checkpoints into ``recorder`` and ``engine``; the epoch reached
    (-1 without a usable checkpoint). Checkpoints after a gap are removed."""
    setup = recorder.setup
    usable: list[checkpoint.Checkpoint] = []
    for cp in checkpoint.load(rd.path, setup.seeds):
        k, previous = len(usable), usable[-1].epoch if usable else 0
        if (k >= len(logged) or cp.epoch != logged[k]
                or cp.state.params.shape != setup.params.shape
                or cp.grad_stats.shape[0] != cp.epoch - previous):
            break
        usable.append(cp)
    checkpoint.remove_after(rd.path, setup.seeds, usable[-1].epoch if usable else -1)
    for cp in usable:
        recorder.snapshot(cp.epoch, cp.state.params)
        if len(cp.grad_stats):
            recorder.gradients(cp.grad_stats)
    if not usable:
        return -1
    engine.load_state(usable[-1].state)
    rd.set_status("running", phase="training", epochs_trained=usable[-1].epoch,
                  last_measured_epoch=usable[-1].epoch, checkpoint_epoch=usable[-1].epoch)
    return usable[-1].epoch


def _mark(rd: RunDir, state: str, **fields: Any) -> None:
    """Set the status if the disk allows; never raises (the run's error matters more)."""
    with contextlib.suppress(OSError):
        rd.set_status(state, **fields)


def _kept(rd: RunDir) -> str:
    epoch = rd.status.checkpoint_epoch
    if epoch is None:
        return ""
    return (f"; the checkpoint up to epoch {epoch} is kept: "
            f"infoplane run --resume {rd.path} continues it")


def write_ib_analysis(out: Path, recorder: Recorder, config: RunConfig, *, plots: bool) -> str:
    """Write ib_curve.parquet, ib_layers.parquet and ib_bound.png; returns a note."""
    from infoplane import bound

    curve, curve_df = bound.curve_table(recorder.data)
    layers = bound.layers_table(recorder, curve)
    store.write_table(out, "ib_curve", curve_df)
    store.write_table(out, "ib_layers", layers)
    if plots:
        from infoplane.plots import write_ib_figure

        write_ib_figure(curve_df, layers, out / "ib_bound.png")
    return bound.describe(curve)


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
