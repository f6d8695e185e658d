"""The run directory: file names, table schemas, atomic writes and reads.

Every file is written to a temporary name beside its target and renamed into
place, so an interrupted run never leaves a half-written file.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from infoplane.errors import InfoplaneError, os_error

CONFIG = "config.toml"
LABELS = "labels.json"
"""The source label of each class index: ``{"label_values": [...]}``."""
SCHEMAS: dict[str, tuple[str, ...]] = {
    "information": ("seed", "epoch", "layer", "estimator", "ixt", "ity"),
    "training": ("seed", "epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy"),
    "gradients": (
        "seed", "epoch", "layer", "grad_mean_norm", "grad_std_norm", "weight_norm", "snr",
    ),
    "ib_layers": (
        "seed", "epoch", "layer", "ixt", "ity", "gap", "beta", "kl_at_beta", "kl_floor",
    ),
    "ib_curve": ("beta", "ixt", "ity"),
}
"""The columns of each table; ``ixt``/``ity`` are in bits, losses in nats."""

OPTIONAL: dict[str, tuple[str, ...]] = {"ib_layers": ("kl_at_beta", "kl_floor")}
"""Columns of SCHEMAS added after files were written without them: :func:`read_table`
fills them with NaN ("not measured") when a table lacks them."""



def with_optional_columns(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """``df`` with the :data:`OPTIONAL` columns of table ``name`` it lacks, as NaN."""
    absent = [c for c in OPTIONAL.get(name, ()) if c not in df.columns]
    return df.assign(**{c: np.nan for c in absent}) if absent else df


TEXT_COLUMNS = ("estimator",)
"""The only columns of SCHEMAS that hold text; every other one holds numbers."""

UNITS = {
    "ixt": "bits", "ity": "bits", "gap": "bits", "kl_at_beta": "bits", "kl_floor": "bits",
    "train_loss": "nats", "test_loss": "nats",
}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Write ``path`` through ``write(tmp)`` and a rename; an unwritable place (read-only
    directory, a directory in the way, a full disk) raises a one-line InfoplaneError."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise os_error(exc, f"cannot write {path}") from None
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; use the usual mode
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise os_error(exc, f"cannot write {path}") from None
        raise


def write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    _atomic(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_table(run_dir: str | Path, name: str, df: pd.DataFrame, **metadata: str) -> Path:
    """Write table ``name`` (a key of SCHEMAS) as ``RUN_DIR/name.parquet``, atomically.

    The file's metadata records the package version, the units and ``metadata``.
    """
    from infoplane import __version__

    df = with_optional_columns(df, name)
    missing = [c for c in SCHEMAS[name] if c not in df.columns]
    if missing:
        raise ValueError(f"table {name!r} lacks columns {missing}")  # a bug, not user error
    table = pa.Table.from_pandas(df.reset_index(drop=True), preserve_index=False)
    meta = {
        **(table.schema.metadata or {}),
        b"infoplane": json.dumps(
            {"version": __version__, "units": UNITS, **metadata}
        ).encode(),
    }
    table = table.replace_schema_metadata(meta)
    path = Path(run_dir) / f"{name}.parquet"
    _atomic(path, lambda tmp: pq.write_table(table, tmp))
    return path


def check_complete(run_dir: str | Path, *, allow_interrupted: bool = False) -> Any:
    """The run's :class:`infoplane.rundir.Status` (None for a directory without one,
    written before status files), after checking that the run is complete.

    Raises
    ------
    InfoplaneError
        If the run is running, killed, failed or (unless ``allow_interrupted``)
        interrupted: its tables are partial or missing.
    """
    from infoplane.rundir import read_status

    status = read_status(run_dir)
    if status is None or status.state == "complete":
        return status
    if allow_interrupted and status.state == "interrupted":
        return status
    hint = ("" if status.state == "running" or run_source(run_dir)
            else f"; continue it with: infoplane run --resume {run_dir}")
    raise InfoplaneError(f"{run_dir} is not a complete run: {status.describe()}{hint}")


def run_source(run_dir: str | Path) -> str:
    """The ``source`` of the run's ``config.toml``: "" for ``infoplane run``'s, else the
    writer (e.g. ``infoplane.torch.InformationPlaneMonitor``, whose runs do not resume)."""
    from infoplane.config import read_toml

    path = Path(run_dir) / CONFIG
    try:
        source = read_toml(path).get("source", "") if path.is_file() else ""
    except InfoplaneError:
        return ""
    return source if isinstance(source, str) else ""


def read_table(run_dir: str | Path, name: str, *, complete: bool = True) -> pd.DataFrame:
    """Read table ``name`` of a run directory, checking that its columns are there.

    With ``complete`` (the default) the run must be complete (:func:`check_complete`).
    Columns of :data:`OPTIONAL` absent from an older file are added, filled with NaN.
    """
    if complete:
        check_complete(run_dir)
    path = Path(run_dir) / f"{name}.parquet"
    if not path.is_file():
        raise InfoplaneError(f"{path}: no such file; is {run_dir} an infoplane run directory?")
    try:
        df = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for corrupt files
        raise InfoplaneError(f"{path}: not a readable Parquet file ({exc})") from None
    df = with_optional_columns(df, name)
    missing = [c for c in SCHEMAS[name] if c not in df.columns]
    if missing:
        raise InfoplaneError(f"{path}: missing column(s) {', '.join(missing)}")
    wrong = [f"{c} ({df[c].dtype})" for c in SCHEMAS[name]
             if c not in TEXT_COLUMNS and not pd.api.types.is_numeric_dtype(df[c])]
    if wrong:
        raise InfoplaneError(f"{path}: column(s) {', '.join(wrong)} should be numbers")
    return df
