"""The experiment configuration: a typed, validated dataclass; TOML in and out.

Keys are the CLI's long flags in snake_case (``--batch-size`` is ``batch_size``).
Defaults are the paper's preset (Shwartz-Ziv & Tishby 2017 and its released code).
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from infoplane.errors import InfoplaneError, check
from infoplane.nets.activations import ACTIVATIONS

OPTIMIZERS = ("adam", "sgd")
DEVICES = ("cpu", "cuda")


@dataclass(frozen=True)
class RunConfig:
    """Everything a run depends on; a run is a pure function of this config."""

    dataset: str = "ico12"
    widths: tuple[int, ...] = (10, 7, 5, 4, 3)
    activation: str = "tanh"
    optimizer: str = "adam"
    lr: float = 4e-4
    momentum: float = 0.0
    weight_decay: float = 0.0
    batch_size: int = 512
    epochs: int = 10000
    seeds: int = 50
    seed: int = 0
    train_fraction: float = 0.85
    bins: int = 30
    log_epochs: int = 250
    estimators: tuple[str, ...] = ("binning",)
    estimator_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    soft_labels: float | None = None
    label_column: str | int | None = None
    probe_size: int = 10000  # infoplane.datasets.PROBE_SIZE
    ib: bool = False
    device: str = "cpu"
    dataset_version: str | None = None
    """A digest of the data set's arrays, recorded when a run starts (see
    :func:`infoplane.run.with_dataset_version`); None in configs written before it."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "widths", tuple(self.widths))
        object.__setattr__(self, "estimators", tuple(dict.fromkeys(self.estimators)))
        check(len(self.widths) > 0, "--widths must name at least one hidden layer")
        check(
            all(isinstance(w, int) and not isinstance(w, bool) and w > 0 for w in self.widths),
            f"--widths must be positive integers, got {','.join(map(str, self.widths))}",
        )
        check(
            self.activation in ACTIVATIONS,
            f"unknown --activation {self.activation!r}; choose one of: {', '.join(ACTIVATIONS)}",
        )
        check(
            self.optimizer in OPTIMIZERS,
            f"unknown --optimizer {self.optimizer!r}; choose one of: {', '.join(OPTIMIZERS)}",
        )
        check(self.device in DEVICES, f"unknown --device {self.device!r}; choose cpu or cuda")
        _positive(self.lr, "lr")
        check(0.0 <= self.momentum < 1.0, f"--momentum must be in [0, 1), got {self.momentum}")
        check(self.weight_decay >= 0.0, f"--weight-decay must be >= 0, got {self.weight_decay}")
        for name in ("batch_size", "epochs", "seeds", "bins"):
            _positive_int(getattr(self, name), name)
        _int(self.seed, "seed")
        check(self.seed >= 0, f"--seed must be >= 0, got {self.seed}")
        _int(self.log_epochs, "log_epochs")
        check(self.log_epochs >= 2, f"--log-epochs must be >= 2, got {self.log_epochs}")
        check(
            isinstance(self.train_fraction, int | float)
            and 0.0 < self.train_fraction <= 1.0,
            f"--train-fraction must be in (0, 1], got {self.train_fraction}",
        )
        check(len(self.estimators) > 0, "--estimator must name at least one estimator")
        if self.soft_labels is not None:
            _positive(self.soft_labels, "soft_labels")
        check(
            self.label_column is None or (
                isinstance(self.label_column, str | int) and not isinstance(self.label_column, bool)
            ),
            f"--label-column must be a column name or index, got {self.label_column!r}",
        )
        _positive_int(self.probe_size, "probe_size")
        check(
            self.dataset_version is None or isinstance(self.dataset_version, str),
            f"dataset_version must be a string, got {self.dataset_version!r}",
        )

    @classmethod
    def from_toml(cls, path: str | Path) -> RunConfig:
        """Read a config file; unknown keys and bad values raise InfoplaneError."""
        return cls.from_mapping(read_toml(path), source=str(path))

    @classmethod
    def from_mapping(cls, values: dict[str, Any], *, source: str = "config") -> RunConfig:
        """Build a config from ``values`` (TOML-style keys); unknown keys are errors."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        check(not unknown, f"{source}: unknown key(s) {', '.join(unknown)}")
        try:
            return cls(**values)
        except TypeError as exc:  # e.g. a string where a number belongs
            raise InfoplaneError(f"{source}: {exc}") from None

    def replace(self, **changes: Any) -> RunConfig:
        """A copy with ``changes`` applied (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_toml(self) -> str:
        """The fully resolved config as TOML text (None values are left out)."""
        lines = ["# infoplane run configuration (rerun: infoplane run --config this-file)"]
        tables = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if isinstance(value, dict):
                for name, options in value.items():
                    tables.append(f"\n[{f.name}.{name}]")
                    tables += [f"{k} = {_toml_value(v)}" for k, v in options.items()]
                continue
            lines.append(f"{f.name} = {_toml_value(value)}")
        return "\n".join(lines + tables) + "\n"


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file, mapping read and syntax errors to one-line InfoplaneErrors."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            values = tomllib.load(handle)
    except FileNotFoundError:
        raise InfoplaneError(f"{path}: no such config file") from None
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InfoplaneError(f"{path}: not a valid TOML file ({exc})") from None
    for key in ("widths", "estimators"):
        if isinstance(values.get(key), list):
            values[key] = tuple(values[key])
    return values


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} to TOML")


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _int(value: Any, name: str) -> None:
    check(
        isinstance(value, int) and not isinstance(value, bool),
        f"{_flag(name)} must be an integer, got {value!r}",
    )


def _positive_int(value: Any, name: str) -> None:
    _int(value, name)
    check(value > 0, f"{_flag(name)} must be > 0, got {value}")


def _positive(value: Any, name: str) -> None:
    check(
        isinstance(value, int | float) and not isinstance(value, bool)
        and math.isfinite(value) and value > 0,
        f"{_flag(name)} must be a finite number > 0, got {value!r}",
    )
