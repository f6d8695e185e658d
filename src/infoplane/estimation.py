"""Resumable estimation: logged epochs in groups, each group's rows kept as it is done.

The estimation of a run is split into units that can be done (and redone) apart:

1. ranges: for binning only, the one step that needs every logged epoch first, the
   value range of unbounded layers (:meth:`infoplane.recorder.Recorder.value_ranges`);
2. one unit per (estimator, group of ``GROUP`` logged epochs): its information rows,
   written to ``information.partial/<estimator>-e<first>-e<last>.parquet``; the
   training rows of a group go to ``training.partial/e<first>-e<last>.parquet``;
3. merge: the parts concatenated and sorted into the run's tables.

A unit whose file exists is not estimated again, so an estimation stopped by Ctrl-C,
a full disk or a crash continues where it stopped; units can also be written by other
processes (:func:`write_units`: a sweep's estimator tasks). The files are only valid for the
full set of logged epochs (the ranges depend on it); an interrupted training is
estimated in memory instead (:func:`estimate_in_memory`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from infoplane.errors import InfoplaneError
from infoplane.recorder import ESTIMATION_GROUP, Recorder, merge_tables
from infoplane.store import _atomic

INFO_DIR = "information.partial"
TRAINING_DIR = "training.partial"
GROUP = ESTIMATION_GROUP
"""Logged epochs per unit of work (fixed, so that file names survive a resume)."""
BYTES_PER_VALUE = 4  # float32 activations


def groups(epochs: list[int]) -> list[list[int]]:
    """The logged epochs in units of :data:`GROUP`."""
    return [epochs[k : k + GROUP] for k in range(0, len(epochs), GROUP)]


def estimate(
    recorder: Recorder,
    run_dir: str | Path,
    *,
    batch: int = GROUP,
    progress: Callable[[int], None] | None = None,
    claim: Callable[..., None] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The run's information and training tables, estimating only the missing units.

    ``batch`` snapshots have their activations computed together (memory); ``progress``
    is called with the number of logged epochs done after each group; ``claim`` with
    the folders before anything is written in them.
    """
    run_dir = Path(run_dir)
    if claim is not None:
        claim(INFO_DIR, TRAINING_DIR)
    names = tuple(recorder.options)
    parts = []
    for group in groups(recorder.epochs):
        fresh, training = _estimate_group(recorder, run_dir, group, names, batch=batch)
        parts.append((
            pd.concat([fresh[name] if name in fresh
                       else pd.read_parquet(_info_path(run_dir, name, group))
                       for name in names], ignore_index=True),
            training if training is not None
            else pd.read_parquet(run_dir / TRAINING_DIR / f"{_span(group)}.parquet"),
        ))
        if progress is not None:
            progress(len(group))
    return merge_tables(parts, tuple(recorder.options))


def write_units(
    recorder: Recorder,
    run_dir: str | Path,
    estimators: tuple[str, ...],
    *,
    at: list[list[int]] | None = None,
    training: bool = True,
    batch: int = GROUP,
    progress: Callable[[int], None] | None = None,
    claim: Callable[..., None] | None = None,
) -> None:
    """Write the missing units of ``estimators`` (and, with ``training``, the training
    rows) for the groups ``at`` (default: every group of the logged epochs), reading
    nothing back: the part of the estimation that a separate task does.

    Only binning needs every snapshot (its value ranges); the others need the snapshots
    of ``at`` only.
    """
    run_dir = Path(run_dir)
    if claim is not None:
        claim(INFO_DIR, TRAINING_DIR)
    for group in groups(recorder.epochs) if at is None else at:
        _estimate_group(recorder, run_dir, group, estimators, batch=batch,
                        training=training)
        if progress is not None:
            progress(len(group))


def unit_done(run_dir: str | Path, estimator: str, group: list[int]) -> bool:
    """Whether the unit of ``estimator`` for the logged epochs ``group`` is written."""
    return _info_path(Path(run_dir), estimator, group).is_file()


def _estimate_group(
    recorder: Recorder, run_dir: Path, group: list[int], names: tuple[str, ...], *,
    batch: int, training: bool = True,
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame | None]:
    """Estimate and write the units of ``group`` not on disk; returns the fresh rows (by
    estimator) and the fresh training rows (None if they were on disk or not asked)."""
    info_paths = {name: _info_path(run_dir, name, group) for name in names}
    training_path = run_dir / TRAINING_DIR / f"{_span(group)}.parquet"
    missing = tuple(name for name, p in info_paths.items() if not p.is_file())
    need_training = training and not training_path.is_file()
    fresh: dict[str, pd.DataFrame] = {}
    rows = None
    if missing or need_training:
        information, rows = recorder.estimate(group, missing, batch=batch)
        for name in missing:
            fresh[name] = information[information["estimator"] == name].reset_index(drop=True)
            _write(info_paths[name], fresh[name])
        if need_training:
            _write(training_path, rows)
        else:
            rows = None
    return fresh, rows


def estimate_in_memory(
    recorder: Recorder, *, batch: int = GROUP, progress: Callable[[int], None] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tables of the snapshots kept so far, nothing written (an interrupted training)."""
    parts = []
    for group in groups(recorder.epochs):
        parts.append(recorder.estimate(group, batch=batch))
        if progress is not None:
            progress(len(group))
    return merge_tables(parts, tuple(recorder.options))


def snapshot_batch(recorder: Recorder, available: int | None = None) -> int:
    """Snapshots whose activations fit in memory together, 1 to :data:`GROUP`."""
    one = _activation_bytes(recorder, 1)
    available = available_memory() if available is None else available
    return max(1, min(GROUP, available // max(one, 1) // 2))


def check_memory(recorder: Recorder, n_logged: int, available: int | None = None) -> None:
    """Refuse a run whose known sizes cannot fit in memory, before any training.

    Counted: the kept snapshots (parameters at every logged epoch) and every layer's
    activations of one logged epoch on all samples, or the recorder's
    ``activation_budget`` if smaller (estimation takes the seeds in chunks).

    Raises
    ------
    InfoplaneError
        If that exceeds the memory available now.
    """
    setup = recorder.setup
    n_seeds, n_params = setup.params.shape
    snapshots = n_logged * n_seeds * n_params * BYTES_PER_VALUE
    activations = min(_activation_bytes(recorder, 1), recorder.activation_budget)
    available = available_memory() if available is None else available
    need = snapshots + activations
    if need > available:
        units = sum(setup.layout.sizes[1:])
        raise InfoplaneError(
            f"this run needs about {_gb(need)} of memory ({_gb(activations)} for the "
            f"activations of {n_seeds} seeds x {units} units x {len(recorder.data.X)} "
            f"samples, {_gb(snapshots)} for {n_logged} snapshots), more than the "
            f"{_gb(available)} available; use fewer --seeds, narrower --widths or "
            "fewer --log-epochs"
        )


def available_memory() -> int:
    """Bytes of memory available now: MemAvailable, within a cgroup's limit if any."""
    found = None
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    found = int(line.split()[1]) * 1024
    except OSError:
        pass
    if found is None:
        found = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    for limit, usage in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),):
        try:
            cap = Path(limit).read_text().strip()
            if cap != "max":
                found = min(found, int(cap) - int(Path(usage).read_text()))
        except (OSError, ValueError):
            pass
    return found


def _activation_bytes(recorder: Recorder, snapshots: int) -> int:
    from infoplane.nets.ensemble import activation_buffer_size

    size = activation_buffer_size(
        recorder.setup.layout, snapshots * len(recorder.setup.seeds), len(recorder.data.X)
    )
    return size * BYTES_PER_VALUE


def _gb(n: int) -> str:
    return f"{n / 2**30:.1f} GB"


def _span(group: list[int]) -> str:
    return f"e{group[0]:06d}-e{group[-1]:06d}"


def _info_path(run_dir: Path, estimator: str, group: list[int]) -> Path:
    return run_dir / INFO_DIR / f"{estimator}-{_span(group)}.parquet"


def _write(path: Path, df: pd.DataFrame) -> None:
    _atomic(path, lambda tmp: df.to_parquet(tmp, index=False))
