"""CSV files: one sample a row, numeric feature columns and one label column."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np

from infoplane.datasets._checks import labelled, one_line
from infoplane.datasets._dataset import Dataset
from infoplane.errors import InfoplaneError


def load_csv(path: str | Path, label_column: str | int | None = None) -> Dataset:
    """A data set from a CSV file (``.csv`` or ``.csv.gz``), read with pyarrow.

    The first row is a header when none of its fields is a number. ``label_column``
    names the label column: a header name, or an index (0 = first, -1 = last; the
    default is the last column). Every other column is a numeric feature. Labels may
    be integers or class names; they are recoded to 0..K-1 in sorted order.

    Raises InfoplaneError (one line) for an empty file, ragged rows, missing values,
    non-numeric features or an unknown label column.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    path = Path(path)
    if not path.is_file():
        raise InfoplaneError(f"{path}: no such data file")
    first = _first_row(path)
    header = all(not _is_number(field) for field in first)
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                skip_rows=1 if header else 0, autogenerate_column_names=True
            ),
        )
    except (pa.ArrowInvalid, OSError) as exc:
        if header and "Empty CSV" in str(exc):
            raise InfoplaneError(f"{path}: a header but no data rows") from None
        raise InfoplaneError(f"{path}: malformed CSV ({one_line(exc)})") from None
    names = [str(f) for f in first] if header else [str(k) for k in range(len(first))]
    if table.num_columns != len(names):
        raise InfoplaneError(
            f"{path}: malformed CSV (the first row has {len(names)} fields, the others "
            f"{table.num_columns})"
        )
    if table.num_columns < 2 or table.num_rows == 0:
        raise InfoplaneError(
            f"{path}: need a feature column, a label column and at least one row; got "
            f"{table.num_columns} column(s), {table.num_rows} row(s)"
        )
    label = _label_index(path, names, header, label_column)
    features = []
    for k, column in enumerate(table.columns):
        if column.null_count:
            raise InfoplaneError(f"{path}: column {names[k]!r} has missing values")
        if k != label:
            if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)
                    or pa.types.is_boolean(column.type)):
                raise InfoplaneError(
                    f"{path}: feature column {names[k]!r} is not numeric ({column.type})"
                )
            features.append(column.to_numpy())
    y = table.column(label).to_numpy()
    if y.dtype == object:  # class names
        y = y.astype(str)
    return labelled(path.name.split(".")[0], np.column_stack(features), y, str(path),
                    names=True)


def _first_row(path: Path) -> list[str]:
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
            row = next(csv.reader(handle), [])
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as exc:
        raise InfoplaneError(f"{path}: not a readable CSV file ({one_line(exc)})") from None
    if not row:
        raise InfoplaneError(f"{path}: empty CSV file")
    return row


def _label_index(
    path: Path, names: list[str], header: bool, label_column: str | int | None
) -> int:
    if label_column is None:
        return len(names) - 1
    if header and str(label_column) in names:
        return names.index(str(label_column))
    try:
        index = int(label_column)
    except ValueError:
        index = None
    if index is None or not -len(names) <= index < len(names):
        what = f"columns: {', '.join(names)}" if header else f"{len(names)} columns, no header"
        raise InfoplaneError(f"{path}: no label column {label_column!r} ({what})")
    return index % len(names)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True

