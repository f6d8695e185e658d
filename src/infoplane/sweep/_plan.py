"""A sweep's plan: ``SWEEP.toml`` parsed into run configs with deterministic names.

``SWEEP.toml`` has three tables::

    [base]                      # any key of `infoplane run --config`
    epochs = 2000
    [grid]                      # the product of these axes
    activation = ["tanh", "relu"]
    train_fraction = [0.05, 0.45, 0.85]
    [zip]                       # optional: axes that move together (equal lengths)
    lr = [1e-3, 4e-4]
    batch_size = [64, 512]

An axis name may be dotted (``estimator_options.kde.sigma2``, quoted or as TOML's dotted
key). Every point is validated as a run config before any work starts.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from infoplane.config import RunConfig, read_toml
from infoplane.errors import InfoplaneError, check
from infoplane.estimators import get_estimator
from infoplane.estimators._base import check_option_names
from infoplane.store import SCHEMAS

TABLES = ("base", "grid", "zip")
"""The tables of SWEEP.toml."""

NOT_RUN_KEYS = ("out", "quiet")
"""Keys of ``run --config`` files that a sweep sets itself."""

SWEEP_COLUMNS = ("run", "run_dir", "status", "reason", "seconds", "skipped")
"""Columns of ``sweep.parquet`` besides the axes."""

RESERVED = frozenset(c for cols in SCHEMAS.values() for c in cols) | {
    "layer_name", *SWEEP_COLUMNS,
}
"""Column names of the run tables and of sweep.parquet: no axis may take one."""

HASH_LENGTH = 10
NAME_LENGTH = 60
"""Hex digits of the config hash, and characters of the readable part of a run's name."""


@dataclass(frozen=True)
class Point:
    """One run of the sweep.

    ``axes`` maps each axis name (dotted for nested keys) to this point's value;
    ``name`` is ``<readable>-<hash>``, the run's directory under ``DIR/runs/``.
    """

    name: str
    axes: dict[str, Any]
    config: RunConfig


@dataclass(frozen=True)
class SweepPlan:
    """The axes (in file order: grid, then zip) and every point."""

    axes: tuple[str, ...]
    points: tuple[Point, ...]


def load_plan(path: str | Path) -> SweepPlan:
    """Read and validate ``SWEEP.toml``; raises InfoplaneError (one line) on any problem."""
    return make_plan(read_toml(path), source=str(path))


def make_plan(spec: dict[str, Any], *, source: str = "sweep") -> SweepPlan:
    """The plan of a parsed ``SWEEP.toml`` (see the module docstring).

    Raises
    ------
    InfoplaneError
        Unknown tables or keys, ``out``/``quiet`` among the run keys, an axis that is
        not a non-empty list, an axis named like a table column, zip axes of unequal
        lengths, the same axis twice, two points resolving to the same run, or any
        point that is not a valid run config (its estimators and options included).
    """
    unknown = sorted(set(spec) - set(TABLES))
    check(not unknown, f"{source}: unknown table(s) {', '.join(unknown)}; "
          f"a sweep file has [base], [grid] and [zip]")
    for table in TABLES:
        check(isinstance(spec.get(table, {}), dict), f"{source}: {table} must be a table")
    base = dict(spec.get("base", {}))
    for key in NOT_RUN_KEYS:
        check(key not in base, f"{source}: [base] {key} is not a run key here "
              "(give --out/--quiet to infoplane sweep)")
    grid = _axes(spec.get("grid", {}), "grid", source)
    zipped = _axes(spec.get("zip", {}), "zip", source)
    both = sorted(set(grid) & set(zipped))
    check(not both, f"{source}: axis {', '.join(both)} is in both [grid] and [zip]")
    lengths = {len(v) for v in zipped.values()}
    check(len(lengths) <= 1, f"{source}: [zip] axes must have equal lengths, got "
          + ", ".join(f"{k} {len(v)}" for k, v in zipped.items()))
    names = tuple(grid) + tuple(zipped)
    zip_rows = list(zip(*zipped.values(), strict=True)) if zipped else [()]
    points: list[Point] = []
    seen: dict[str, int] = {}
    for grid_row in itertools.product(*grid.values()):
        for zip_row in zip_rows:
            axes = dict(zip(names, grid_row + tuple(zip_row), strict=True))
            where = f"{source}: point {len(points) + 1} ({_describe(axes)})"
            config = _config(base, axes, where)
            point = Point(name=run_name(axes, config), axes=axes, config=config)
            check(point.name not in seen, f"{where} is the same run as point "
                  f"{seen.get(point.name, 0) + 1}")
            seen[point.name] = len(points)
            points.append(point)
    return SweepPlan(axes=names, points=tuple(points))


def config_hash(config: RunConfig) -> str:
    """A short hex digest of the resolved config's TOML: same config, same hash."""
    return hashlib.sha256(config.to_toml().encode()).hexdigest()[:HASH_LENGTH]


def run_name(axes: dict[str, Any], config: RunConfig) -> str:
    """``<axis values, readable>-<config hash>``, safe as a directory name."""
    readable = "_".join(f"{name.rsplit('.', 1)[-1]}-{_text(v)}" for name, v in axes.items())
    readable = re.sub(r"[^A-Za-z0-9.+=-]+", "_", readable).strip("_.")[:NAME_LENGTH] or "run"
    return f"{readable}-{config_hash(config)}"


def axis_value(value: Any) -> Any:
    """An axis value as a table cell: numbers and strings as they are, lists joined."""
    return ",".join(map(str, value)) if isinstance(value, list | tuple) else value


def _axes(table: dict[str, Any], where: str, source: str) -> dict[str, list[Any]]:
    """Flatten TOML's nested dotted keys into ``a.b.c -> values`` and check each axis."""
    axes: dict[str, list[Any]] = {}

    def walk(prefix: str, node: dict[str, Any]) -> None:
        for key, value in node.items():
            name = f"{prefix}{key}"
            if isinstance(value, dict):
                walk(name + ".", value)
                continue
            check(isinstance(value, list) and len(value) > 0,
                  f"{source}: [{where}] {name} must be a non-empty list of values")
            check(name not in axes, f"{source}: [{where}] axis {name} is given twice")
            axes[name] = value

    walk("", table)
    known = {f.name for f in fields(RunConfig)}
    for name in axes:
        head = name.split(".", 1)[0]
        check(name not in RESERVED,
              f"{source}: [{where}] axis {name!r} collides with a column of the sweep's "
              "tables; set it in [base] or use several sweeps")
        check(head in known, f"{source}: [{where}] {name} is not a run key")
        check(head not in NOT_RUN_KEYS, f"{source}: [{where}] {name} is not a run key here")
        check(head != "estimator_options" or name.count(".") == 2,
              f"{source}: [{where}] {name}: estimator options are named "
              "estimator_options.NAME.KEY")
    return axes


def _config(base: dict[str, Any], axes: dict[str, Any], where: str) -> RunConfig:
    values = copy.deepcopy(base)
    for name, value in axes.items():
        *parents, leaf = name.split(".")
        node = values
        for part in parents:
            node = node.setdefault(part, {})
            check(isinstance(node, dict), f"{where}: {name} sets a key inside a non-table")
        node[leaf] = copy.deepcopy(value)
    for key in ("widths", "estimators"):
        if isinstance(values.get(key), list):
            values[key] = tuple(values[key])
    options = values.get("estimator_options")
    if isinstance(options, dict):  # sorted: the same options give the same TOML and hash
        values["estimator_options"] = {
            name: dict(sorted(opts.items())) if isinstance(opts, dict) else opts
            for name, opts in sorted(options.items())
        }
    try:
        config = RunConfig.from_mapping(values, source=where)
        _check_estimators(config)
    except InfoplaneError as exc:
        message = str(exc)
        raise InfoplaneError(message if message.startswith(where) else f"{where}: {message}") \
            from None
    return config


def _check_estimators(config: RunConfig) -> None:
    """The checks the recorder makes at the start of a run, made before any run starts."""
    for name, options in config.estimator_options.items():
        check(isinstance(options, dict), f"estimator_options.{name} must be a table")
    for name in config.estimators:
        check_option_names(get_estimator(name), dict(config.estimator_options.get(name, {})))


def _describe(axes: dict[str, Any]) -> str:
    return ", ".join(f"{k} = {_text(v)}" for k, v in axes.items()) or "the base config"


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "-".join(_text(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str) and ("/" in value or "\\" in value):
        return Path(value).stem
    return str(value)
