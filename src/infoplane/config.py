"""The experiment configuration: a typed, validated dataclass; TOML in and out.

Keys are the CLI's long flags in snake_case (``--batch-size`` is ``batch_size``).
Defaults are the paper's preset (Shwartz-Ziv & Tishby 2017 and its released code).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import tomllib
import types
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

from infoplane.errors import InfoplaneError, check
from infoplane.nets.activations import ACTIVATIONS

OPTIMIZERS = ("adam", "sgd")
DEVICES = ("cpu", "cuda")
FLOAT32_MAX = 3.4028234663852886e38
"""The largest float32: the training kernels take the learning rate and weight decay
in float32, so larger values would become infinite."""


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
        check_types({f.name: getattr(self, f.name) for f in fields(self)})
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
        check(self.lr <= FLOAT32_MAX, f"--lr must be <= {FLOAT32_MAX:.3g} (float32), "
              f"got {self.lr!r}")
        check(0.0 <= self.momentum < 1.0, f"--momentum must be in [0, 1), got {self.momentum}")
        check(0.0 <= self.weight_decay <= FLOAT32_MAX,
              f"--weight-decay must be in [0, {FLOAT32_MAX:.3g}], got {self.weight_decay}")
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
        """Read a config file; unknown keys, wrong types and bad values raise
        InfoplaneError."""
        values = read_toml(path)
        check_types(values, source=str(path))
        return cls.from_mapping(values, source=str(path))

    @classmethod
    def from_toml_text(cls, text: str, *, source: str = "config") -> RunConfig:
        """:meth:`from_toml` of TOML text (e.g. :meth:`to_toml`'s) named ``source``."""
        try:
            values = _as_config_values(tomllib.loads(text))
        except tomllib.TOMLDecodeError as exc:
            raise InfoplaneError(f"{source}: not valid TOML ({exc})") from None
        check_types(values, source=source)
        return cls.from_mapping(values, source=source)

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
        """The fully resolved config as TOML text (None values are left out).

        Each setting is written once: with ``[estimator_options.binning] bins`` the
        top-level ``bins`` (binning's default bin count) is left out, and adaptive, which
        also defaults to it, gets its own ``bins`` if that differs from the default;
        empty option tables are left out.
        """
        lines = ["# infoplane run configuration (rerun: infoplane run --config this-file)"]
        tables = []
        given = self.estimator_options.get("binning")
        shadowed = isinstance(given, dict) and "bins" in given
        canonical = {"bins": None if shadowed else self.bins,
                     "estimator_options": self._written_options(shadowed)}
        for f in fields(self):
            value = canonical[f.name] if f.name in canonical else getattr(self, f.name)
            if value is None:
                continue
            if isinstance(value, dict):
                for name, options in value.items():
                    tables.append(f"\n[{f.name}.{name}]")
                    tables += [f"{k} = {_toml_value(v)}" for k, v in options.items()]
                continue
            lines.append(f"{f.name} = {_toml_value(value)}")
        return "\n".join(lines + tables) + "\n"

    def _written_options(self, shadowed: bool) -> dict[str, Any]:
        """``estimator_options`` as :meth:`to_toml` writes them (same meaning): no empty
        table; with ``shadowed`` (the top-level ``bins`` left out) adaptive's bin count
        stated in its own table unless it is the default."""
        options = {name: dict(opts) if isinstance(opts, dict) else opts
                   for name, opts in self.estimator_options.items()}
        adaptive = options.get("adaptive", {})
        default_bins = next(f.default for f in fields(self) if f.name == "bins")
        if (shadowed and "adaptive" in self.estimators and isinstance(adaptive, dict)
                and "bins" not in adaptive and self.bins != default_bins):
            options["adaptive"] = {**adaptive, "bins": self.bins}
        return {name: opts for name, opts in options.items()
                if opts or not isinstance(opts, dict)}


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
    return _as_config_values(values)


def _as_config_values(values: dict[str, Any]) -> dict[str, Any]:
    """Parsed TOML with its lists of widths and estimators as the tuples a config holds."""
    for key in ("widths", "estimators"):
        if isinstance(values.get(key), list):
            values[key] = tuple(values[key])
    return values


EXTRA_KEYS: dict[str, Any] = {"out": str, "quiet": bool}
"""Keys a config file may hold besides RunConfig's fields (the CLI's --out and --quiet)."""


def check_types(values: dict[str, Any], *, source: str | None = None) -> None:
    """Check every known key of ``values`` against its declared type.

    The types are RunConfig's field annotations (and :data:`EXTRA_KEYS`); unknown keys
    are left to the caller. Integers are accepted where a float is declared, lists where
    a tuple is. ``source`` (a file name) makes the message name the key as written in
    that file; without it the key is named as its flag.

    Raises
    ------
    InfoplaneError
        "SOURCE: KEY must be KIND, got VALUE" for the first value of the wrong type.
    """
    hints = _declared_types()
    for name, value in values.items():
        hint = hints.get(name)
        if hint is None or _matches(value, hint):
            continue
        label = f"{source}: {name}" if source is not None else _flag(name)
        raise InfoplaneError(f"{label} must be {_kind(hint)}, got {value!r}")


@functools.cache
def _declared_types() -> dict[str, Any]:
    return {**get_type_hints(RunConfig), **EXTRA_KEYS}


def _matches(value: Any, hint: Any) -> bool:
    """Whether ``value`` has the declared type ``hint`` (the subset RunConfig uses)."""
    origin, args = get_origin(hint), get_args(hint)
    if hint is Any:
        return True
    if origin in (Union, types.UnionType):
        return any(_matches(value, arg) for arg in args)
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    if origin is tuple:
        return isinstance(value, tuple | list) and all(_matches(v, args[0]) for v in value)
    if origin is dict:
        return isinstance(value, dict) and all(
            _matches(k, args[0]) and _matches(v, args[1]) for k, v in value.items()
        )
    raise TypeError(f"no type check for {hint!r}")  # a bug: a new kind of field


def _kind(hint: Any) -> str:
    """``hint`` in words, for messages."""
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        return " or ".join(_kind(arg) for arg in args if arg is not type(None))
    if origin is tuple:
        return f"a list of {_kind(args[0]).split(' ', 1)[1]}s"
    if origin is dict:
        return "a table of option tables, like [estimator_options.kde] sigma2 = 0.05"
    return {bool: "true or false", int: "an integer", float: "a number",
            str: "a string"}[hint]


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
