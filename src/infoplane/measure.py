"""From activations to information rows: one function for every source of snapshots.

:func:`measure_layers` is that function: many snapshots (rows: seeds x logged epochs)
of named layers, each estimator called once per layer over all rows (the engine's
:class:`~infoplane.recorder.Recorder` hands it a few logged epochs of its whole ensemble
at a time). :func:`measure_snapshot` takes one logged epoch's activations (any named layers, NumPy
arrays or torch tensors of shape (n_probe, ...)), the probe set's labels and the
estimators, and returns the rows of ``information.parquet``. It knows nothing of how
the activations were made (the built-in MLPs, a user's model through
:mod:`infoplane.torch`). Binning estimates of a tensor on a GPU are computed there
(:mod:`infoplane.estimators.binning_torch`); everything else runs on NumPy arrays.

How a layer is binned is a :class:`Binning` rule, stated in every row:

- ``range``: ``bins`` equal bins over a fixed [low, high] (the paper's [-1, 1] for
  bounded layers);
- ``width``: bins of a fixed width in activation units, edges at multiples of it
  (Saxe et al.'s code); needs no look-ahead and keeps the bin size constant;
- ``epoch``: ``bins`` equal bins over this epoch's own min and max of the layer.

:func:`measure_layers` also takes a :class:`Rescaled` rule (a range per row, known only
after training: the engine's min/max over all logged epochs) or none (the binning
estimator's own options, e.g. ``edges="idnns"``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from infoplane.errors import InfoplaneError, check
from infoplane.estimators import get_estimator, resolve_options
from infoplane.estimators._base import is_positive_real, validate_labels
from infoplane.estimators.binning import BinningOptions

INFO_COLUMNS = (
    "seed", "epoch", "layer", "estimator", "ixt", "ity",
    "layer_name", "binning", "bin_low", "bin_high", "bins",
)
"""Columns of :func:`measure_snapshot`'s table: ``store.SCHEMAS["information"]`` first
(``ixt``/``ity`` in bits), then the layer's name and its bin grid. ``binning``
is the rule (range, width, epoch; empty for estimators without a bin grid), ``bin_low``
and ``bin_high`` the grid's edges in activation units and ``bins`` its number of bins."""

BINNED = ("binning",)
"""Estimators that bin over a grid set by a :class:`Binning` rule."""


@dataclass(frozen=True)
class Binning:
    """How one layer is binned: ``rule`` is "range", "width" or "epoch".

    ``low`` and ``high`` bound the "range" rule; ``width`` is the bin width of the
    "width" rule, in activation units. Build one with :meth:`parse`.
    """

    rule: str
    low: float | None = None
    high: float | None = None
    width: float | None = None

    @classmethod
    def parse(cls, spec: Any, layer: str = "") -> Binning:
        """A rule from ``spec``: a Binning, (low, high), "epoch", or a float bin width.

        Raises InfoplaneError for anything else, naming ``layer``.
        """
        where = f" for layer {layer!r}" if layer else ""
        if isinstance(spec, Binning):
            return spec
        if spec == "epoch":
            return cls("epoch")
        if isinstance(spec, tuple | list) and len(spec) == 2:
            low, high = (float(v) for v in spec)
            check(
                math.isfinite(low) and math.isfinite(high) and high > low,
                f"binning range{where} must be finite with high > low, got {tuple(spec)}",
            )
            return cls("range", low=low, high=high)
        if is_positive_real(spec):
            return cls("width", width=float(spec))
        raise InfoplaneError(
            f"binning{where} must be (low, high), a bin width > 0 or 'epoch', got {spec!r}"
        )

    def describe(self) -> str:
        """One line for configs and reports, e.g. "range [-1, 1]" or "width 0.5"."""
        if self.rule == "range":
            return f"range [{self.low:g}, {self.high:g}]"
        if self.rule == "width":
            return f"width {self.width:g}"
        return "epoch min/max"

    def grid(self, lo: float, hi: float, bins: int) -> tuple[float, float, int]:
        """(low edge, high edge, number of bins) for a layer whose values span [lo, hi].

        Bins are equal: width (high - low) / bins. A constant layer under the "epoch"
        rule gets low == high (one state).
        """
        if self.rule == "range":
            return self.low, self.high, bins
        if self.rule == "width":
            first, last = math.floor(lo / self.width), math.floor(hi / self.width)
            n_bins = int(last - first + 1)
            return first * self.width, (first + n_bins) * self.width, n_bins
        return lo, hi, bins


def resolve_estimators(estimators: Iterable[str] | Mapping[str, Mapping[str, Any]]
                       ) -> dict[str, dict[str, Any]]:
    """Names (or name -> options) to name -> complete, checked options; before training.

    Raises InfoplaneError for an unknown estimator or option.
    """
    if not isinstance(estimators, Mapping):
        check(not isinstance(estimators, str), "estimators must be a list of names, "
              f"not the string {estimators!r}")
        estimators = {name: {} for name in estimators}
    check(len(estimators) > 0, "estimators must name at least one estimator")
    return {name: _resolve(name, dict(options or {})) for name, options in estimators.items()}


def _resolve(name: str, options: dict[str, Any]) -> dict[str, Any]:
    """The estimator's complete options, names and values checked (one template)."""
    return resolve_options(name, options)


def default_binning(options: Mapping[str, Any]) -> Binning:
    """The rule the binning estimator's own options describe (value_range, bin_size).

    Raises InfoplaneError for what no per-layer rule expresses: a ``bin_size`` over an
    explicit ``value_range``, or ``edges="idnns"``.
    """
    spec = BinningOptions.from_options(options)
    check(spec.edges == "equal", 'binning.edges="idnns" is for `infoplane run`; the '
          "monitor bins with equal bins (pass binning= per layer)")
    fixed = spec.fixed_range
    if spec.bin_size is not None:
        check(fixed is None, "binning.bin_size with an explicit value_range: give one of "
              "them (or a per-layer rule through binning=)")
        return Binning.parse(spec.bin_size)
    return Binning("epoch") if fixed is None else Binning.parse(fixed)


def measure_snapshot(
    epoch: int,
    layers: Mapping[str, Any],
    y: Any,
    estimators: Iterable[str] | Mapping[str, Mapping[str, Any]],
    *,
    binning: Mapping[str, Any] | None = None,
    X: Any | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """I(X;T) and I(T;Y), in bits, of every layer of one snapshot, for every estimator.

    One snapshot through :func:`measure_layers` (the path of every source of
    activations); layers that ``binning`` does not name are binned by the binning
    estimator's own options as a :class:`Binning` rule (:func:`default_binning`).

    Parameters
    ----------
    epoch : int
        The logged epoch (epochs trained; 0 is the initialisation).
    layers : mapping name -> array or tensor, shape (n_probe, ...)
        Each layer's activations on the n_probe probe inputs (distinct, equally likely);
        trailing axes (channels, pixels) are flattened. Layer k of the table is the
        k-th entry, its name ``layer_name``.
    y : array or tensor, shape (n_probe,)
        The probe inputs' labels.
    estimators : names, or mapping name -> options
        Registered estimators and their options (see :func:`resolve_estimators`).
    binning : mapping layer name -> rule, optional
        Per layer, a :class:`Binning` or what :meth:`Binning.parse` takes; layers not
        named use the binning estimator's options (default: ``bins`` bins on [-1, 1]).
    X : array, shape (n_probe, ...), optional
        The probe inputs, for estimators that need them.
    seed : int
        Written to the ``seed`` column.

    Returns
    -------
    DataFrame with :data:`INFO_COLUMNS`, one row per (layer, estimator).

    Raises
    ------
    InfoplaneError
        Unknown estimator or option, bad binning rule, mismatched or non-finite inputs.
    """
    options = resolve_estimators(estimators)
    binning = binning or {}
    unknown = sorted(set(binning) - set(layers))
    check(not unknown, f"binning names unknown layer(s) {', '.join(map(repr, unknown))}")
    rules: dict[str, Any] = {}
    if "binning" in options:
        rules = {name: Binning.parse(binning[name], name) if name in binning
                 else default_binning(options["binning"]) for name in layers}
    y_np = validate_labels(_numpy(y), _n_rows(next(iter(layers.values()))) if layers else 0)
    for name, acts in layers.items():
        check(_n_rows(acts) == len(y_np),
              f"layer {name!r} has {_n_rows(acts)} rows but the probe set has {len(y_np)}")
    X_np = None if X is None else _numpy(X).reshape(len(y_np), -1).astype(np.float64)
    table = measure_layers({name: acts[None] for name, acts in layers.items()}, y_np, options,
                           epoch=int(epoch), seed=seed, binning=rules, X=X_np)
    return table[list(INFO_COLUMNS)]


MEASURE_COLUMNS = (*INFO_COLUMNS, "ixt_stderr", "ity_stderr")
"""Columns of :func:`measure_layers`: :data:`INFO_COLUMNS` and the Monte Carlo standard
errors of ``ixt`` and ``ity`` (bits; NaN for deterministic estimates)."""
ON_DEVICE = ("kde", "noisy")
"""Estimators that take ``device=`` (the ``device`` of :func:`measure_layers`)."""


@dataclass(frozen=True)
class Rescaled:
    """A binning rule with a range per row: row i's [ranges[i, 0], ranges[i, 1]] is
    mapped onto [-1, 1], then binned by the binning estimator's own options.

    The range over all logged epochs of an unbounded layer (Saxe et al., 2018), known
    only after training: what ``infoplane run`` uses. ``ranges`` has shape (rows, 2),
    in activation units.
    """

    ranges: np.ndarray


def measure_layers(
    layers: Mapping[str, Any],
    y: Any,
    options: Mapping[str, Mapping[str, Any]],
    *,
    epoch: Any,
    seed: Any,
    binning: Mapping[str, Binning | Rescaled | None] | None = None,
    X: Any | None = None,
    device: str | None = None,
) -> pd.DataFrame:
    """I(X;T) and I(T;Y), in bits, of many snapshots of named layers, every estimator.

    The one path from activations to information rows, for the built-in ensemble
    (many seeds and logged epochs at once, :class:`infoplane.recorder.Recorder`) and
    for a user's model (:func:`measure_snapshot`); it knows nothing of how the
    activations were made. Estimators see all rows of a layer in one call
    (``Estimator.many_with_stderr``), so compiled kernels batch over seeds.

    Parameters
    ----------
    layers : mapping name -> array or tensor, shape (rows, n_probe, ...)
        Each layer's activations: one row per snapshot (seed, logged epoch) on the same
        n_probe probe inputs; trailing axes are flattened. Layer k of the table is the
        k-th entry. NumPy float arrays are passed to the estimators as they are; tensors
        (and other dtypes) become float64, except for binning of a GPU tensor, which is
        computed on its device.
    y : array or tensor, shape (n_probe,)
        The probe inputs' labels.
    options : mapping estimator name -> complete options
        As :func:`resolve_estimators` returns them.
    epoch, seed : int or array of shape (rows,)
        The ``epoch`` and ``seed`` columns of each row.
    binning : mapping layer name -> rule, optional
        How the binning estimator bins each layer: a :class:`Binning` (grid per row,
        stated in the table), a :class:`Rescaled` (per-row range), or None / absent
        (the binning estimator's own options, as they are).
    X : array, shape (n_probe, n_inputs), optional
        The probe inputs, for estimators that need them (passed as they are).
    device : str, optional
        ``"cuda"``: the estimators of :data:`ON_DEVICE` compute on the GPU.

    Returns
    -------
    DataFrame with :data:`MEASURE_COLUMNS`: for each layer, for each estimator (in
    ``options``' order), its rows in the order of the snapshots.

    Raises
    ------
    InfoplaneError
        Mismatched, non-finite or input-less data for an estimator that needs them.
    """
    binning = binning or {}
    first = next(iter(layers.values()), None)
    n_rows = 0 if first is None else _n_rows(first)
    n_probe = 0 if first is None else int(first.shape[1])
    y_np = validate_labels(_numpy(y), n_probe)
    epochs = np.broadcast_to(np.asarray(epoch, dtype=np.int64), (n_rows,))
    seeds = np.broadcast_to(np.asarray(seed, dtype=np.int64), (n_rows,))
    columns: dict[str, list[np.ndarray]] = {k: [] for k in MEASURE_COLUMNS}
    nan = np.full(n_rows, np.nan)
    for k, (name, acts) in enumerate(layers.items(), start=1):
        check(_n_rows(acts) == n_rows and int(acts.shape[1]) == len(y_np),
              f"layer {name!r} has {tuple(acts.shape[:2])} (snapshots, probe inputs) but "
              f"{n_rows} snapshots of {len(y_np)} probe inputs are measured")
        flat = acts.reshape(n_rows, len(y_np), -1)
        cpu: np.ndarray | None = None
        for est_name, opts in options.items():
            grid: dict[str, Any] = {"binning": np.full(n_rows, ""), "bin_low": nan,
                                    "bin_high": nan, "bins": np.zeros(n_rows, np.int64)}
            rule = binning.get(name) if est_name in BINNED else None
            if isinstance(rule, Binning):
                ixt, ity, grid = _binned_rows(flat, y_np, rule, opts["bins"], name)
                ixt_se, ity_se = nan, nan
            else:
                if cpu is None:
                    cpu = _host(flat)
                    check(bool(np.isfinite(cpu).all()),
                          f"layer {name!r} has NaN or infinite activations at epoch "
                          f"{int(epochs[0]) if n_rows else epoch}")
                Ts = cpu
                if isinstance(rule, Rescaled):
                    Ts = rescale(cpu, rule.ranges)
                    grid = {"binning": np.full(n_rows, "global"),
                            "bin_low": rule.ranges[:, 0].astype(np.float64),
                            "bin_high": rule.ranges[:, 1].astype(np.float64),
                            "bins": np.full(n_rows, int(opts["bins"]))}
                est = get_estimator(est_name)
                check(not est.needs_inputs or X is not None,
                      f"estimator {est_name!r} needs the probe inputs: pass X=")
                if est_name in ON_DEVICE and device == "cuda":
                    opts = {**opts, "device": "cuda"}
                ixt, ity, ixt_se, ity_se = est.many_with_stderr(Ts, y_np, X=X, **opts)
            for column, values in (
                ("seed", seeds), ("epoch", epochs), ("layer", np.full(n_rows, k)),
                ("estimator", np.full(n_rows, est_name)), ("ixt", ixt), ("ity", ity),
                ("layer_name", np.full(n_rows, name)), ("ixt_stderr", ixt_se),
                ("ity_stderr", ity_se), *grid.items(),
            ):
                columns[column].append(np.asarray(values))
    return pd.DataFrame(
        {k: np.concatenate(v) if v else np.array([]) for k, v in columns.items()}, copy=False
    )


def _host(flat: Any) -> np.ndarray:
    """Activations for the NumPy estimators: float NumPy arrays as they are, else float64."""
    if isinstance(flat, np.ndarray) and flat.dtype in (np.float32, np.float64):
        return flat
    return _numpy(flat).astype(np.float64)


def rescale(acts: np.ndarray, ranges: np.ndarray) -> np.ndarray:
    """``acts`` (rows, n, units) with each row's [low, high] (``ranges``, (rows, 2))
    mapped onto [-1, 1], where the binning estimator's default range bins it."""
    low = ranges[:, 0][:, None, None]
    span = np.maximum(ranges[:, 1] - ranges[:, 0], np.finfo(np.float32).tiny)[:, None, None]
    return (acts - low) / span * 2.0 - 1.0


def _binned_rows(
    flat: Any, y: np.ndarray, rule: Binning, bins: int, name: str
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """:func:`_binned` of every row (each its own grid), as columns."""
    results = [_binned(T, y, rule, bins, name) for T in flat]
    ixt = np.array([r[0] for r in results], dtype=np.float64)
    ity = np.array([r[1] for r in results], dtype=np.float64)
    grid = {key: np.array([r[2][key] for r in results])
            for key in ("binning", "bin_low", "bin_high", "bins")}
    if not results:
        grid = {"binning": np.array([], dtype=str), "bin_low": ixt, "bin_high": ity,
                "bins": np.array([], dtype=np.int64)}
    return ixt, ity, grid


def _binned(
    T: Any, y: np.ndarray, rule: Binning, bins: int, name: str
) -> tuple[float, float, dict[str, Any]]:
    """Binning estimate of one flattened layer, on its own device; plus the grid used."""
    lo, hi = float(T.min()), float(T.max())
    check(math.isfinite(lo) and math.isfinite(hi),
          f"layer {name!r} has NaN or infinite activations")
    low, high, n_bins = rule.grid(lo, hi, int(bins))
    width = (high - low) / n_bins  # as binning.bin_indices computes it
    grid = {"binning": rule.rule, "bin_low": low, "bin_high": high, "bins": n_bins}
    if _is_gpu_tensor(T):
        import torch

        from infoplane.estimators.binning_torch import binning_information_torch

        y_t = torch.as_tensor(y, device=T.device)
        ixt, ity = binning_information_torch(T, y_t, low=low, width=width, n_bins=n_bins)
        return ixt, ity, grid
    from infoplane.estimators.binning import binning_information_many

    if width <= 0:  # a constant layer: one state
        ixt_a, ity_a = np.zeros(1), np.zeros(1)
    else:
        ixt_a, ity_a = binning_information_many(
            _numpy(T)[None], y, bins=n_bins, value_range=(low, high)
        )
    return float(ixt_a[0]), float(ity_a[0]), grid


def _is_gpu_tensor(value: Any) -> bool:
    device = getattr(value, "device", None)
    return device is not None and getattr(device, "type", "cpu") != "cpu"


def _n_rows(value: Any) -> int:
    return int(value.shape[0])


def _numpy(value: Any) -> np.ndarray:
    """A NumPy view of an array or (CPU or GPU) tensor."""
    if hasattr(value, "detach"):
        value = value.detach().cpu()
        if value.is_floating_point() and value.element_size() < 4:  # float16, bfloat16
            value = value.float()
        value = value.numpy()
    return np.asarray(value)
