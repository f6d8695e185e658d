"""The information-plane monitor of any ``torch.nn.Module`` trained in the user's loop."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from infoplane import store
from infoplane.errors import InfoplaneError, check
from infoplane.estimators._base import validate_labels
from infoplane.measure import (
    BINNED,
    INFO_COLUMNS,
    Binning,
    default_binning,
    measure_snapshot,
    resolve_estimators,
)
from infoplane.nets.schedule import log_spaced_epochs
from infoplane.rundir import CONFIG, RunDir
from infoplane.torch._layers import Watched, resolve_layers
from infoplane.torch._moments import GradientMoments

GRADIENT_COLUMNS = store.SCHEMAS["gradients"]
TRAINING_METRICS = store.SCHEMAS["training"][2:]
"""Metrics ``end_epoch`` takes: train/test loss (nats) and accuracy (in [0, 1])."""
MONITOR_FILE = "monitor.toml"
"""What the monitor watched (model, layers, weights, binning, estimators, schedule); the
same text as the run directory's ``config.toml`` (kept for readers of older runs)."""
SOURCE = "infoplane.torch.InformationPlaneMonitor"
"""The ``source`` key of a monitor run's ``config.toml`` (and its tables' metadata)."""


@dataclass(frozen=True)
class MonitorResult:
    """The monitor's tables (as in ``infoplane run``'s directory) and where they went."""

    out: Path | None
    information: pd.DataFrame
    training: pd.DataFrame
    gradients: pd.DataFrame


class InformationPlaneMonitor:
    """Information plane and gradient phases of a user's model, in their own loop.

    Parameters
    ----------
    model : torch.nn.Module
        The trained model, on any device.
    probe : (X, y) arrays or tensors, or an iterable of (inputs, labels) batches
        The probe inputs whose I(X;T) and I(T;Y) are measured (n distinct, equally
        likely inputs) and their labels. A DataLoader is read once, at construction,
        without drawing from the global torch generator.
    layers : "auto", or a list of names, modules and (layer, pick) pairs
        The layers T. "auto": every activation module and the model's output.
        ``"output"`` is the model's output (softmax probabilities unless
        ``output_softmax=False``). A module whose output is a tuple needs a pick: the
        element's index or a function of the output, e.g. ``("lstm", 0)``.
    estimators : names, or mapping name -> options
        Estimators (see :func:`infoplane.available_estimators`); checked here.
    epochs : int, optional
        The planned number of training epochs; measurement follows about
        ``log_epochs`` log-spaced epochs of 0..epochs (as ``infoplane run``).
    log_epochs : int, default 100
    schedule : iterable of int, optional
        Explicit logged epochs instead of ``epochs``/``log_epochs``.
    out : path, optional
        The run directory, as ``infoplane run`` keeps one (:mod:`infoplane.rundir`):
        taken (locked, ``status.json`` "running", ``config.toml`` written) when the
        ``with`` block starts, so a directory holding another run is refused before
        training; completed by :meth:`finish`. An exception inside ``with`` writes
        the tables measured so far and leaves the status "interrupted" (Ctrl-C) or
        "failed"; ``read_table`` and ``infoplane plot`` treat it as any such run.
    overwrite : bool, default False
        Replace a run already in ``out`` (its listed files only) instead of refusing.
    binning : rule, or mapping layer name -> rule, optional
        How binning estimators bin: (low, high), a bin width (float, activation
        units; Saxe et al.), or "epoch" (each epoch's own min/max), or a
        :class:`~infoplane.measure.Binning`. A single rule applies to every unbounded
        layer; a mapping sets layers by name. Bounded layers (tanh, sigmoid, softmax
        output) default to [-1, 1], unbounded ones to "epoch". The rule and grid used
        are columns of the information table.
    output_softmax : bool, default True
    seed : int, default 0
        The ``seed`` column of every table (to combine several runs).
    batch_size : int, default 1024
        Probe inputs per forward pass.
    keep_activations : bool, default False
        Keep each logged epoch's activations (on the host) in :attr:`activations`.

    Raises
    ------
    InfoplaneError
        For any bad argument, before training starts.

    Examples
    --------
    >>> monitor = InformationPlaneMonitor(model, probe=(X, y), epochs=200,  # doctest: +SKIP
    ...                                   out="runs/mine")
    >>> with monitor:  # doctest: +SKIP
    ...     for epoch in range(200):
    ...         for xb, yb in loader:
    ...             loss = F.cross_entropy(model(xb), yb)
    ...             opt.zero_grad(); loss.backward()
    ...             monitor.after_backward()
    ...             opt.step()
    ...         monitor.end_epoch(epoch + 1)
    >>> result = monitor.finish()  # doctest: +SKIP
    """

    def __init__(
        self,
        model: nn.Module,
        probe: Any,
        *,
        layers: Any = "auto",
        estimators: Iterable[str] | Mapping[str, Mapping[str, Any]] = ("binning",),
        epochs: int | None = None,
        log_epochs: int = 100,
        schedule: Iterable[int] | None = None,
        out: str | Path | None = None,
        binning: Any = None,
        output_softmax: bool = True,
        seed: int = 0,
        batch_size: int = 1024,
        keep_activations: bool = False,
        overwrite: bool = False,
    ) -> None:
        self.model = model
        self.layers: list[Watched] = resolve_layers(model, layers, output_softmax=output_softmax)
        given = _given_options(estimators)
        self.estimators = resolve_estimators(estimators)
        self.binning = _binning_rules(self.layers, binning, given)
        self.schedule = _schedule(epochs, log_epochs, schedule)
        self.epochs, self.log_epochs = epochs, log_epochs
        self.out = None if out is None else Path(out)
        self.overwrite = bool(overwrite)
        self._run_dir: RunDir | None = None
        check(isinstance(seed, int) and seed >= 0, f"seed must be an int >= 0, got {seed!r}")
        check(isinstance(batch_size, int) and batch_size >= 1,
              f"batch_size must be an int >= 1, got {batch_size!r}")
        self.seed, self.batch_size = seed, batch_size
        self._X, self._y = _probe(probe, model)
        self._needs_inputs = any(
            e not in BINNED and _needs_inputs(e) for e in self.estimators
        )
        self.keep_activations = keep_activations
        self.activations: dict[int, dict[str, np.ndarray]] = {}
        self._handles: list[torch.utils.hooks.RemovableHandle] = []
        self._recording: dict[str, list[torch.Tensor]] | None = None
        self._calls = 0
        self._info: list[pd.DataFrame] = []
        self._grad_rows: list[dict[str, Any]] = []
        self._train_rows: list[dict[str, Any]] = []
        self._moments: list[GradientMoments | None] = [None] * len(self.layers)
        self._last_epoch = -1
        self._resumed = False

    # -- the context: hooks on, measure epoch 0, hooks always off --------------------
    def __enter__(self) -> InformationPlaneMonitor:
        check(not self._handles, "this monitor is already active")
        if self.out is not None and self._run_dir is None:
            self._run_dir = self._open(self.out)
        self._handles = [
            layer.module.register_forward_hook(self._hook(layer)) for layer in self.layers
        ]
        try:
            if 0 in self.schedule and self._last_epoch < 0:
                self.end_epoch(0)
        except BaseException as exc:
            self.close()
            self._abandon(exc)
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
        if exc is not None:
            self._abandon(exc)

    def _abandon(self, exc: BaseException) -> None:
        """After an exception in training: the tables measured so far, and the run's
        status "interrupted" (Ctrl-C) or "failed" with the reason; the lock released."""
        rd, self._run_dir = self._run_dir, None
        if rd is None:
            return
        interrupted = isinstance(exc, KeyboardInterrupt)
        reason = "" if interrupted else (
            str(exc) if isinstance(exc, InfoplaneError) else f"{type(exc).__name__}: {exc}")
        try:
            self._write(rd, plots=False)
            rd.set_status("interrupted" if interrupted else "failed", reason=reason,
                          **self._progress())
        except OSError:
            pass  # the training's exception matters more
        finally:
            rd.close()

    def close(self) -> None:
        """Remove every hook this monitor attached (what leaving the ``with`` does)."""
        for handle in self._handles:
            handle.remove()
        self._handles = []

    # -- during training ---------------------------------------------------------------
    def after_backward(self) -> None:
        """Add the current gradients of the layers' weights to this epoch's moments.

        Call after ``loss.backward()`` and before ``optimizer.step()``; sums of the
        gradients and of their squares are kept in float64 on the weights' device
        (:class:`~infoplane.torch._moments.GradientMoments`).
        """
        with torch.no_grad():
            for k, layer in enumerate(self.layers):
                w = layer.weight
                if w is None or w.grad is None:
                    continue
                if self._moments[k] is None:
                    self._moments[k] = GradientMoments(w)
                self._moments[k].add(w.grad)

    def end_epoch(self, epoch: int, metrics: Mapping[str, Any] | None = None) -> None:
        """Close epoch ``epoch`` (epochs trained so far, from 1): its gradient statistics,
        its ``metrics`` (names in TRAINING_METRICS), and a measurement if it is logged.

        At a logged epoch the run directory's ``status.json`` records the epochs
        trained and the last measured epoch, as ``infoplane run`` does, so a reader of
        the directory (or of a run killed later) sees how far training went.

        Raises InfoplaneError if the epochs do not increase, a metric is unknown, the
        status cannot be written, or the monitor is used outside its ``with`` block.
        """
        check(bool(self._handles),
              "use the monitor as a context manager: `with monitor:` around the training loop")
        check(isinstance(epoch, int | np.integer) and epoch > self._last_epoch,
              f"epochs must increase: got {epoch!r} after {self._last_epoch}")
        epoch = int(epoch)
        self._last_epoch = epoch
        self._gradient_rows(epoch)
        if metrics is not None:
            self._metric_row(epoch, metrics)
        if epoch in self.schedule:
            self._measure(epoch)
            if self._run_dir is not None:  # as `infoplane run` at each logged epoch
                self._run_dir.set_status("running", phase="training", **self._progress())

    # -- results -----------------------------------------------------------------------
    @property
    def information(self) -> pd.DataFrame:
        """The information table so far (bits), sorted by estimator, epoch, layer."""
        if not self._info:
            return pd.DataFrame(columns=list(INFO_COLUMNS))
        df = pd.concat(self._info, ignore_index=True)
        return df.sort_values(["estimator", "epoch", "layer", "seed"], kind="stable",
                              ignore_index=True)

    @property
    def gradients(self) -> pd.DataFrame:
        """The gradients table so far: one row per epoch and layer with a weight."""
        df = pd.DataFrame(self._grad_rows, columns=["seed", "epoch", "layer", "layer_name",
                                                    *GRADIENT_COLUMNS[3:]])
        return df if len(df) else df.astype(  # no rows: still numeric columns for readers
            {"seed": "int64", "epoch": "int64", "layer": "int64",
             **dict.fromkeys(GRADIENT_COLUMNS[3:], "float64")})

    @property
    def training(self) -> pd.DataFrame:
        """The metrics passed to :meth:`end_epoch`, one row per epoch (NaN if not given)."""
        df = pd.DataFrame(self._train_rows, columns=["seed", "epoch", *TRAINING_METRICS])
        return df if len(df) else df.astype(  # no metrics given: still numeric columns
            {"seed": "int64", "epoch": "int64", **dict.fromkeys(TRAINING_METRICS, "float64")})

    def global_ranges(self) -> dict[str, tuple[float, float]]:
        """Per layer, (min, max) over every kept epoch: Saxe et al.'s range, known only
        after training. Needs ``keep_activations=True``; pass it as ``binning=`` to
        :func:`infoplane.measure.measure_snapshot` to re-measure the kept epochs."""
        check(bool(self.activations), "global ranges need keep_activations=True and a "
              "measured epoch")
        return {
            layer.name: (
                float(min(acts[layer.name].min() for acts in self.activations.values())),
                float(max(acts[layer.name].max() for acts in self.activations.values())),
            )
            for layer in self.layers
        }

    def finish(self, out: str | Path | None = None, *, plots: bool = True) -> MonitorResult:
        """Complete the run directory (``out`` or the constructor's) and return the tables.

        Writes ``information.parquet`` (with ``layer_name`` and the binning columns),
        ``gradients.parquet``, ``training.parquet``, ``config.toml`` (and the same text
        as ``monitor.toml``) and, with ``plots``, the figures of ``infoplane plot``;
        ``status.json`` becomes "complete". Without a directory nothing is written.

        Raises InfoplaneError if ``out`` holds another run (without ``overwrite``) or
        cannot be written.
        """
        out = self.out if out is None else Path(out)
        information, training, gradients = self.information, self.training, self.gradients
        if out is not None:
            rd, self._run_dir = self._run_dir, None
            if rd is not None and rd.path != out:
                rd.close()  # finished elsewhere: the directory taken stays "running"
                rd = None
            if rd is None:
                rd = self._open(out)
            try:
                rd.set_status("running", phase="writing", **self._progress())
                self._write(rd, plots=plots)
                rd.set_status("complete", phase="done", **self._progress())
            except BaseException as exc:
                with contextlib.suppress(OSError):
                    rd.set_status("failed", reason=f"writing the tables: {exc}",
                                  **self._progress())
                raise
            finally:
                rd.close()
        return MonitorResult(out=out, information=information, training=training,
                             gradients=gradients)

    def _open(self, out: Path) -> RunDir:
        """Take ``out`` for this run: locked, status "running", config.toml written.

        A monitor restored by :meth:`load_state_dict` takes over the directory of the
        run it continues (the same ``config.toml``), whatever its status.
        """
        planned = self.epochs if self.epochs is not None else max(self.schedule)
        config = self.describe()
        same = self._resumed and (out / CONFIG).is_file() and (
            (out / CONFIG).read_text(encoding="utf-8") == config)
        rd = RunDir.open(out, config_toml=config, epochs=int(planned),
                         overwrite=self.overwrite or same,
                         advice="pass overwrite=True to the monitor to replace it")
        rd.claim(MONITOR_FILE)
        return rd

    def _progress(self) -> dict[str, Any]:
        measured = [e for e in self.schedule if e <= self._last_epoch]
        return {"epochs_trained": max(self._last_epoch, 0),
                "last_measured_epoch": max(measured) if measured else None}

    def _write(self, rd: RunDir, *, plots: bool) -> None:
        """The tables (and figures) so far into the run directory ``rd``."""
        out = rd.path
        information, training, gradients = self.information, self.training, self.gradients
        rd.claim(CONFIG, MONITOR_FILE, *(f"{name}.parquet" for name in
                                          ("information", "training", "gradients")))
        store.write_text(out / MONITOR_FILE, self.describe())
        meta = {"source": SOURCE, "config": self.describe(),
                "epochs_trained": str(max(self._last_epoch, 0))}
        store.write_table(out, "information", information, **meta)
        store.write_table(out, "training", training, **meta)
        store.write_table(out, "gradients", gradients, **meta)
        if plots and len(information):
            from infoplane.plots import write_run_figures

            rd.claim("information_plane.png", "snr.png", "training.png",
                     *(f"information_plane_{name}.png" for name in self.estimators))
            write_run_figures(out, information, training, gradients,
                              estimators=tuple(self.estimators))

    # -- checkpoints -------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """What a resumed training needs to continue these tables: the logged-epoch
        schedule, the last closed epoch, the rows so far and the gradient moments of
        the epoch in progress. Plain Python values and tensors (``torch.save``, and
        ``torch.load(weights_only=True)``, take it)."""
        return {
            "version": 1,
            "schedule": sorted(self.schedule),
            "epochs": self.epochs, "log_epochs": self.log_epochs,
            "last_epoch": self._last_epoch,
            "information": _columns(self.information),
            "gradients": _columns(self.gradients),
            "training": _columns(self.training),
            "grad_sum": [None if m is None else m.total.clone() for m in self._moments],
            "grad_sq": [None if m is None else m.squares.clone() for m in self._moments],
            "grad_count": [0 if m is None else m.count for m in self._moments],
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Continue from :meth:`state_dict` (before the ``with`` block starts).

        The run directory then continues the run it holds (same ``config.toml``).

        Raises InfoplaneError if the monitor is active or ``state`` does not fit its
        layers.
        """
        check(not self._handles, "load_state_dict must come before the `with` block")
        check(state.get("version") == 1 and len(state["grad_count"]) == len(self.layers),
              "this monitor state is of another version or another set of layers")
        self.schedule = {int(e) for e in state["schedule"]}
        self.epochs, self.log_epochs = state["epochs"], state["log_epochs"]
        self._last_epoch = int(state["last_epoch"])
        info = pd.DataFrame(state["information"], columns=list(INFO_COLUMNS))
        self._info = [info] if len(info) else []
        self._grad_rows = pd.DataFrame(state["gradients"]).to_dict("records")
        self._train_rows = pd.DataFrame(state["training"]).to_dict("records")
        for k, (total, squares, count) in enumerate(zip(
                state["grad_sum"], state["grad_sq"], state["grad_count"], strict=True)):
            if total is None:
                self._moments[k] = None
                continue
            moments = GradientMoments(self.layers[k].weight)
            moments.load(total, squares, count)
            self._moments[k] = moments
        self._resumed = True

    def describe(self) -> str:
        """What is watched, as TOML: model, layers, weights, binning, estimators, epochs."""
        from infoplane.config import _toml_value

        lines = [
            "# infoplane monitor: what was measured (a user's model; not an `infoplane run`",
            "# config: `infoplane plot` and read_table read this directory, run --resume not)",
            f"source = {_toml_value(SOURCE)}",
            f"model = {_toml_value(type(self.model).__name__)}",
            f"probe_size = {len(self._y)}",
            f"seed = {self.seed}",
            f"logged_epochs = {_toml_value(sorted(self.schedule))}",
            f"estimators = {_toml_value(list(self.estimators))}",
        ]
        if self.epochs is not None:
            lines += [f"epochs = {self.epochs}", f"log_epochs = {self.log_epochs}"]
        for k, layer in enumerate(self.layers, start=1):
            lines += [
                "", "[[layers]]", f"layer = {k}", f"name = {_toml_value(layer.name)}",
                f"module = {_toml_value(type(layer.module).__name__)}",
                f"weight = {_toml_value(layer.weight_name)}",
                f"binning = {_toml_value(self.binning[layer.name].describe())}",
            ]
        for name, options in self.estimators.items():
            lines += ["", f"[estimator_options.{name}]"]
            lines += [f"{k} = {_toml_value(v)}" for k, v in options.items() if v is not None]
        return "\n".join(lines) + "\n"

    # -- internals ---------------------------------------------------------------------
    def _hook(self, layer: Watched) -> Any:
        def hook(module: nn.Module, inputs: Any, output: Any) -> None:
            if self._recording is None:
                return
            value = output
            if layer.pick is not None:
                value = output[layer.pick] if isinstance(layer.pick, int) else layer.pick(output)
            if not isinstance(value, torch.Tensor):
                kind = type(output).__name__
                raise InfoplaneError(
                    f"layer {layer.name!r} ({type(module).__name__}) returns a {kind}, not a "
                    f"tensor; pick its element: layers=[({layer.name!r}, 0)]"
                )
            value = value.detach().reshape(value.shape[0], -1)
            if layer.softmax:
                value = torch.softmax(value.float(), dim=1)
            self._recording[layer.name].append(value)
        return hook

    def _probe_activations(self) -> dict[str, torch.Tensor]:
        """Each layer's activations on the probe inputs: eval(), no_grad(), modes restored."""
        device = _device(self.model)
        if self._X.device != device:
            self._X = self._X.to(device)
        modes = [(m, m.training) for m in self.model.modules()]
        self._recording = {layer.name: [] for layer in self.layers}
        try:
            self.model.eval()
            with torch.no_grad():
                chunks = range(0, len(self._X), self.batch_size)
                for start in chunks:
                    try:
                        self.model(self._X[start:start + self.batch_size])
                    except InfoplaneError:
                        raise
                    except Exception as exc:
                        first = (str(exc).strip().splitlines() or [""])[0]
                        raise InfoplaneError(
                            f"the model fails on the probe inputs (shape "
                            f"{tuple(self._X.shape)}, {self._X.dtype}): "
                            f"{type(exc).__name__}: {first}") from exc
            recorded = self._recording
        finally:
            self._recording = None
            for module, mode in modes:
                module.training = mode
        for name, parts in recorded.items():
            check(len(parts) == len(chunks),
                  f"layer {name!r} ran {len(parts)} times in {len(chunks)} forward passes; "
                  "watch a module that runs once per forward pass")
        return {name: torch.cat(parts) for name, parts in recorded.items()}

    def _measure(self, epoch: int) -> None:
        threads = torch.get_num_threads()
        try:
            self._measure_now(epoch)
        finally:  # numba's OpenMP kernels reset the thread count torch shares with them,
            if torch.get_num_threads() != threads:  # which changes training's sums
                torch.set_num_threads(threads)

    def _measure_now(self, epoch: int) -> None:
        acts = self._probe_activations()
        if self.keep_activations:
            self.activations[epoch] = {k: v.float().cpu().numpy() for k, v in acts.items()}
        X = self._X.cpu().numpy().reshape(len(self._X), -1) if self._needs_inputs else None
        self._info.append(measure_snapshot(
            epoch, acts, self._y, self.estimators, binning=self.binning, X=X, seed=self.seed,
        ))

    def _gradient_rows(self, epoch: int) -> None:
        stats, which = [], []
        for k, layer in enumerate(self.layers):
            moments = self._moments[k]
            if moments is None or not moments.count:
                continue
            stats.append(moments.statistics(layer.weight))
            which.append(k)
        if not stats:
            return
        values = torch.stack(stats).cpu().tolist()  # one transfer per epoch
        for k, (mean_norm, std_norm, weight_norm) in zip(which, values, strict=True):
            self._grad_rows.append({
                "seed": self.seed, "epoch": epoch, "layer": k + 1,
                "layer_name": self.layers[k].name, "grad_mean_norm": mean_norm,
                "grad_std_norm": std_norm, "weight_norm": weight_norm,
                "snr": mean_norm / std_norm if std_norm > 0 else math.inf,
            })

    def _metric_row(self, epoch: int, metrics: Mapping[str, Any]) -> None:
        unknown = sorted(set(metrics) - set(TRAINING_METRICS))
        check(not unknown, f"unknown metric(s) {', '.join(map(repr, unknown))}; "
              f"end_epoch takes: {', '.join(TRAINING_METRICS)}")
        row = {"seed": self.seed, "epoch": epoch}
        for name in TRAINING_METRICS:
            value = metrics.get(name, math.nan)
            row[name] = float(value.item() if hasattr(value, "item") else value)
        self._train_rows.append(row)


def _columns(table: pd.DataFrame) -> dict[str, list[Any]]:
    """A table as column name -> list of Python values (for checkpoints)."""
    return {name: table[name].tolist() for name in table.columns}


def _device(model: nn.Module) -> torch.device:
    first = next(model.parameters(), None)
    return first.device if first is not None else torch.device("cpu")


def _needs_inputs(name: str) -> bool:
    from infoplane.estimators import get_estimator

    return get_estimator(name).needs_inputs


def _given_options(estimators: Any) -> dict[str, Any]:
    """The binning estimator's options as the user gave them (not the defaults)."""
    if isinstance(estimators, Mapping):
        return dict(estimators.get("binning") or {})
    return {}


def _binning_rules(layers: list[Watched], binning: Any, given: Mapping[str, Any]
                   ) -> dict[str, Binning]:
    """Each layer's rule: per-layer mapping, else the single rule (unbounded layers),
    else [-1, 1] for bounded layers and the binning options' rule or "epoch" for others."""
    per_layer = dict(binning) if isinstance(binning, Mapping) else {}
    names = [layer.name for layer in layers]
    unknown = sorted(set(per_layer) - set(names))
    check(not unknown, f"binning names unknown layer(s) {', '.join(map(repr, unknown))}; "
          f"the layers are: {', '.join(names)}")
    if binning is not None and not isinstance(binning, Mapping):
        unbounded = Binning.parse(binning)
    elif "value_range" in given or "bin_size" in given:
        unbounded = default_binning(given)
    else:
        unbounded = Binning("epoch")
    return {
        layer.name: Binning.parse(per_layer[layer.name], layer.name)
        if layer.name in per_layer
        else (Binning("range", -1.0, 1.0) if layer.bounded else unbounded)
        for layer in layers
    }


def _schedule(epochs: int | None, log_epochs: int, schedule: Iterable[int] | None) -> set[int]:
    if schedule is not None:
        chosen = {int(e) for e in schedule}
        check(len(chosen) > 0 and min(chosen) >= 0,
              "schedule must list logged epochs >= 0")
        return chosen
    check(epochs is not None, "give epochs= (the planned number of training epochs) "
          "or schedule= (the epochs to measure)")
    check(isinstance(epochs, int) and not isinstance(epochs, bool),
          f"epochs must be an integer, got {epochs!r}")
    return {int(e) for e in log_spaced_epochs(epochs, log_epochs)}


def _probe(probe: Any, model: nn.Module) -> tuple[torch.Tensor, np.ndarray]:
    """The probe inputs as one tensor (the model's float type) and the label codes."""
    if isinstance(probe, tuple | list) and len(probe) == 2:
        X, y = probe
    else:
        check(hasattr(probe, "__iter__"),
              "probe must be (X, y) or an iterable of (inputs, labels) batches")
        xs, ys = [], []
        with torch.random.fork_rng(devices=[]):  # a DataLoader draws its base seed here
            for batch in probe:
                check(isinstance(batch, tuple | list) and len(batch) >= 2,
                      "a probe DataLoader must yield (inputs, labels) batches")
                xs.append(torch.as_tensor(batch[0]))
                ys.append(torch.as_tensor(batch[1]))
        check(len(xs) > 0, "the probe DataLoader yields no batches")
        X, y = torch.cat(xs), torch.cat(ys)
    try:
        X = torch.as_tensor(X)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise InfoplaneError(f"the probe inputs X must be a tensor or an array, got "
                             f"{type(X).__name__}") from exc
    y_np = y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else np.asarray(y)
    check(X.ndim >= 1 and len(X) > 0, "the probe set is empty")
    y_codes = validate_labels(y_np, len(X))
    first = next(model.parameters(), None)
    if X.is_floating_point() and first is not None and first.is_floating_point():
        X = X.to(first.dtype)
    return X.detach(), y_codes
