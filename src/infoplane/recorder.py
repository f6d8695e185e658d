"""The recorder: what the engine hands over during training, turned into tables.

During training it keeps each logged epoch's parameters (a few MB) and every
epoch's gradient statistics. Afterwards it recomputes every layer's activations on
all inputs from the kept parameters, one logged epoch at a time, and hands them to
the estimators, so memory stays small whatever the number of logged epochs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from infoplane.config import RunConfig
from infoplane.datasets import Dataset
from infoplane.errors import InfoplaneError, check
from infoplane.estimators import get_estimator, resolve_options
from infoplane.estimators.binning import AUTO, BinningOptions
from infoplane.measure import Rescaled, measure_layers, rescale
from infoplane.nets._metrics import output_metrics
from infoplane.nets.activations import BOUNDED
from infoplane.nets.ensemble import Setup, activation_buffer_size, layer_activations

ESTIMATION_GROUP = 4
"""Snapshots whose activations are computed and estimated together (fewer, larger
kernel calls; 4 x 50 seeds of the paper's network hold about 100 MB)."""
INFO_COLUMNS = (
    "seed", "epoch", "layer", "estimator", "ixt", "ity", "layer_name", "ixt_stderr", "ity_stderr",
)
"""Columns of information.parquet; the stderrs (bits) are NaN for deterministic estimates."""
TRAINING_METRICS = ("train_loss", "train_accuracy", "test_loss", "test_accuracy")
"""Columns of training.parquet after seed and epoch: loss in nats, accuracy in [0, 1]."""
ACTIVATION_BUDGET = 2**28
"""Bytes of float32 activations computed at once during estimation (256 MiB): the
seeds of a group of snapshots are taken in chunks that fit (one seed at least), so
the memory of estimation does not grow with the number of seeds. Binning's rescaled
float64 copy of one layer comes on top (at most twice the largest layer's share)."""


class Recorder:
    """Collects snapshots and gradient statistics of one ensemble run."""

    def __init__(self, setup: Setup, config: RunConfig, data: Dataset) -> None:
        self.setup = setup
        self.config = config
        self.data = data.probe_set()  # the rows every measurement is made on
        self._train_mask = setup.train_mask if data.probe is None else (
            setup.train_mask[:, data.probe])
        self.epochs: list[int] = []
        self._params: list[np.ndarray] = []
        self._grad_stats: list[np.ndarray] = []
        self._ranges: list[np.ndarray | None] | None = None  # value_ranges(), once
        self.activation_budget = ACTIVATION_BUDGET
        self.binning = binning_options(config)  # for every analysis that bins
        self.options = self._estimator_options()  # validated before any training

    def snapshot(self, epoch: int, params: np.ndarray) -> None:
        """Keep the parameters (seeds, n_params) after ``epoch`` epochs.

        Raises InfoplaneError if any seed's parameters are not finite (divergence).
        """
        self._check_finite(~np.isfinite(params).all(axis=1), "weights", epoch)
        self.epochs.append(int(epoch))
        self._params.append(params)
        self._ranges = None

    def gradients(self, stats: np.ndarray) -> None:
        """Append the next epochs' gradient statistics, (epochs, seeds, layers, 3).

        Raises InfoplaneError if any of them is not finite (divergence: the gradient or
        weight norms of a seed overflowed).
        """
        finite = np.isfinite(stats).all(axis=(2, 3))  # (epochs, seeds)
        if not finite.all():
            first = int(np.flatnonzero(~finite.all(axis=1))[0])
            self._check_finite(~finite[first], "gradient or weight norms",
                               self.n_epochs_trained + first + 1)
        self._grad_stats.append(stats)

    def _check_finite(self, bad: np.ndarray, what: str, epoch: int) -> None:
        """Raise the divergence error if any seed is flagged in ``bad`` (seeds,)."""
        if bad.any():
            seeds = [self.setup.seeds[i] for i in np.flatnonzero(bad)]
            raise InfoplaneError(
                f"training diverged: NaN or infinite {what} at epoch {epoch} for seed(s) "
                f"{', '.join(map(str, seeds[:5]))}; lower --lr"
            )

    def chance_accuracy(self) -> float:
        """The train accuracy of always answering the most frequent class: per seed, the
        majority class's fraction of its training labels (on the probe set, where the
        train accuracy is measured), averaged over seeds."""
        n_classes = int(self.data.y.max()) + 1
        counts = np.stack([np.bincount(self.data.y[mask], minlength=n_classes)
                           for mask in self._train_mask])
        return float(np.mean(counts.max(axis=1) / counts.sum(axis=1)))

    @property
    def n_epochs_trained(self) -> int:
        return int(sum(s.shape[0] for s in self._grad_stats))

    def activations(
        self, epochs: set[int] | None = None, *, group: int = 1, reuse: bool = False,
        seeds: slice = slice(None),
    ) -> Iterator[tuple[list[int], list[np.ndarray]]]:
        """Per-layer activations of the snapshots (or of those in ``epochs``), ``group``
        snapshots at a time: (their epochs, [(group * seeds, n_samples, units)]), the
        rows ordered by epoch, then seed. Larger groups mean fewer, larger kernel calls.
        ``seeds`` selects the seeds (positions in ``setup.seeds``; default all).

        With ``reuse`` every group is written into the same memory (much faster for
        many snapshots): a group's arrays are valid only until the next is asked for.
        """
        kept = [(e, p[seeds]) for e, p in zip(self.epochs, self._params, strict=True)
                if epochs is None or e in epochs]
        buffer = None
        if reuse and kept:
            size = activation_buffer_size(
                self.setup.layout, group * len(kept[0][1]), len(self.data.X)
            )
            buffer = np.empty(size, dtype=np.float32)
        for start in range(0, len(kept), group):
            part = kept[start : start + group]
            params = np.concatenate([p for _, p in part])
            yield [e for e, _ in part], layer_activations(
                self.setup.layout, params, self.data.X, self.config.activation,
                self.config.device, buffer=buffer,
            )

    def _batch_within_budget(self, batch: int) -> int:
        """Snapshots per group, ``batch`` at most, that one seed's activations fit
        :attr:`activation_budget` (1 at least)."""
        one_seed = activation_buffer_size(self.setup.layout, 1, len(self.data.X)) * 4
        return max(1, min(batch, self.activation_budget // max(one_seed, 1)))

    def seed_chunks(self, group: int) -> list[slice]:
        """The seeds in chunks whose activations for ``group`` snapshots fit
        :attr:`activation_budget` bytes (float32), one seed at least per chunk."""
        n_seeds = len(self.setup.seeds)
        per_seed = activation_buffer_size(self.setup.layout, group, len(self.data.X)) * 4
        size = max(1, min(n_seeds, self.activation_budget // max(per_seed, 1)))
        return [slice(s, s + size) for s in range(0, n_seeds, size)]

    def gradients_table(self) -> pd.DataFrame:
        """One row per (seed, epoch, layer); epoch e holds the statistics of epoch e."""
        if not self._grad_stats:
            return pd.DataFrame(columns=["seed", "epoch", "layer", "grad_mean_norm",
                                         "grad_std_norm", "weight_norm", "snr"])
        stats = np.concatenate(self._grad_stats).transpose(1, 0, 2, 3)  # seed, epoch, layer
        n_s, n_e, n_l, _ = stats.shape
        mean, std, weight = (stats[..., k].ravel().astype(np.float64) for k in range(3))
        with np.errstate(divide="ignore", invalid="ignore"):
            snr = mean / std
        return pd.DataFrame({
            "seed": np.repeat(np.array(self.setup.seeds), n_e * n_l),
            "epoch": np.tile(np.repeat(np.arange(1, n_e + 1), n_l), n_s),
            "layer": np.tile(np.arange(1, n_l + 1), n_s * n_e),
            "grad_mean_norm": mean, "grad_std_norm": std, "weight_norm": weight, "snr": snr,
        }, copy=False)  # fresh columns: no need to copy 7 x (seeds x epochs x layers) values

    def tables(self, progress: Any = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The information and training tables, from every snapshot.

        ``progress`` is called with the number of snapshots done after each group.
        """
        parts = []
        for start in range(0, len(self.epochs), ESTIMATION_GROUP):
            epochs = self.epochs[start : start + ESTIMATION_GROUP]
            parts.append(self.estimate(epochs))
            if progress is not None:
                progress(len(epochs))
        return merge_tables(parts, tuple(self.options))

    def estimate(
        self, at: list[int], estimators: tuple[str, ...] | None = None, *,
        batch: int = ESTIMATION_GROUP,
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The information rows of ``estimators`` (default all) and the training rows
        of the snapshots at epochs ``at``, their activations computed ``batch`` at a time.

        Binning uses :meth:`value_ranges`, which takes every snapshot kept so far; the
        other estimators need only the snapshots at ``at``.
        """
        options = {name: opts for name, opts in self.options.items()
                   if estimators is None or name in estimators}
        ranges = self.value_ranges() if "binning" in options else []
        y = self.data.y
        all_seeds = np.array(self.setup.seeds)
        batch = self._batch_within_budget(batch)
        parts: list[pd.DataFrame] = []
        metrics, metric_epochs, metric_seeds = [], [], []
        for chunk in self.seed_chunks(batch):  # bounded memory whatever the seeds
            seeds = all_seeds[chunk]
            for epochs, layers in self.activations(set(at), group=batch, reuse=True,
                                                   seeds=chunk):
                epoch_col = np.repeat(np.asarray(epochs, dtype=np.int64), len(seeds))
                seed_col = np.tile(seeds, len(epochs))
                metrics.append(output_metrics(
                    layers[-1], y, np.tile(self._train_mask[chunk], (len(epochs), 1))
                ))
                metric_epochs.append(epoch_col)
                metric_seeds.append(seed_col)
                names = [_layer_name(k, len(layers)) for k in range(1, len(layers) + 1)]
                rules = {name: None if r is None else Rescaled(_tile(r[chunk], len(epochs)))
                         for name, r in zip(names, ranges, strict=True)} if ranges else None
                parts.append(measure_layers(
                    dict(zip(names, layers, strict=True)), y, options, epoch=epoch_col,
                    seed=seed_col, binning=rules, X=self.data.X, device=self.config.device,
                )[list(INFO_COLUMNS)])
        information = (pd.concat(parts, ignore_index=True) if parts
                       else pd.DataFrame({k: np.array([]) for k in INFO_COLUMNS}))
        values = np.concatenate(metrics)
        training = pd.DataFrame({
            "seed": np.concatenate(metric_seeds),
            "epoch": np.concatenate(metric_epochs),
            **{name: values[:, k] for k, name in enumerate(TRAINING_METRICS)},
        })
        return information, training

    def _estimator_options(self) -> dict[str, dict[str, Any]]:
        """Every estimator's full options, checked (names and values) before training.

        ``bins`` (``--bins``) is the default bin count of binning and adaptive; the
        binning options are :func:`binning_options`. Options for an estimator that the
        run does not use are an error (binning's are used by ``--ib`` too).
        """
        config = self.config
        used = set(config.estimators) | ({"binning"} if config.ib else set())
        for name, given in config.estimator_options.items():
            get_estimator(name)  # an unknown name is its own error
            check(
                name in used or not given,
                f"options are given for estimator {name!r}, which this run does not use; "
                f"add --estimator {name}" + (" or --ib" if name == "binning" else ""),
            )
        options = {}
        for name in config.estimators:
            given = dict(config.estimator_options.get(name, {}))
            if name == "binning":
                options[name] = self.binning.as_dict()
                continue
            if name == "adaptive":
                given.setdefault("bins", config.bins)
            options[name] = resolve_options(name, given)
        if "knn" in options:
            from infoplane.estimators.knn import check_labels

            check_labels(self.data.y)
        return options

    @staticmethod
    def binning_view(acts: np.ndarray, ranges: np.ndarray | None) -> np.ndarray:
        """Activations as binned: unchanged, or each seed's [low, high] mapped to [-1, 1]."""
        return acts if ranges is None else rescale(acts, ranges)

    def value_ranges(self) -> list[np.ndarray | None]:
        """Per layer: None (bin the activations as they are) or per-seed (low, high)
        over all snapshots, to be mapped onto [-1, 1] before binning.

        Only with the default binning range (no ``value_range``, no ``bin_size``):
        bounded activations (and the softmax output) use the paper's [-1, 1]; unbounded
        ones the min and max each seed's layer reaches over the logged epochs (Saxe et
        al., 2018). A given ``value_range`` or ``bin_size`` is in activation units, so
        every layer is binned as it is. Computed once (a pass over every snapshot) and
        kept until the next snapshot.
        """
        if self._ranges is None:
            self._ranges = self._compute_value_ranges()
        return self._ranges

    def _compute_value_ranges(self) -> list[np.ndarray | None]:
        n_layers = self.setup.layout.n_layers
        default_range = self.binning.value_range == AUTO and self.binning.bin_size is None
        if self.config.activation in BOUNDED or not default_range:
            return [None] * n_layers
        lows = np.full((n_layers, len(self.setup.seeds)), np.inf)
        highs = np.full((n_layers, len(self.setup.seeds)), -np.inf)
        n_seeds = len(self.setup.seeds)
        group = self._batch_within_budget(ESTIMATION_GROUP)
        for chunk in self.seed_chunks(group):
            n_chunk = len(range(n_seeds)[chunk])
            for _, layers in self.activations(group=group, reuse=True, seeds=chunk):
                for k, acts in enumerate(layers[:-1]):
                    per_row = acts.reshape(-1, n_chunk, *acts.shape[1:])
                    lows[k, chunk] = np.minimum(lows[k, chunk], per_row.min(axis=(0, 2, 3)))
                    highs[k, chunk] = np.maximum(highs[k, chunk], per_row.max(axis=(0, 2, 3)))
        return [np.stack([lows[k], highs[k]], axis=1) for k in range(n_layers - 1)] + [None]


def binning_options(config: RunConfig) -> BinningOptions:
    """A run's binning options, checked: ``bins`` (``--bins``) unless
    ``[estimator_options.binning]`` sets it, and the rest of that table.

    The one source of the binning options for the information table and ``--ib``.
    """
    given = config.estimator_options.get("binning", {})
    check(
        isinstance(given, dict),
        f"the options of estimator 'binning' must be a table of NAME = VALUE, got {given!r}",
    )
    return BinningOptions(**resolve_options("binning", {"bins": config.bins, **given}))


def merge_tables(
    parts: list[tuple[pd.DataFrame, pd.DataFrame]], estimators: Sequence[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The information and training tables from :meth:`Recorder.estimate`'s parts, in
    epoch order: information sorted by estimator (in the order of ``estimators``, the
    config's), epoch, layer, seed."""
    information = pd.concat([p[0] for p in parts], ignore_index=True)
    rank = {name: k for k, name in enumerate(estimators)}
    information = information.sort_values(
        ["estimator", "epoch", "layer", "seed"], kind="stable", ignore_index=True,
        key=lambda column: column.map(rank) if column.name == "estimator" else column,
    )
    training = pd.concat([p[1] for p in parts], ignore_index=True)
    training = training.sort_values(["epoch", "seed"], kind="stable", ignore_index=True)
    return information, training


def _layer_name(layer: int, n_layers: int) -> str:
    """The engine's layer names: L1, L2, ... for hidden layers, "output" for the last."""
    return "output" if layer == n_layers else f"L{layer}"


def _tile(ranges: np.ndarray | None, times: int) -> np.ndarray | None:
    """Per-seed ranges repeated for ``times`` snapshots stacked epoch by epoch."""
    return None if ranges is None else np.tile(ranges, (times, 1))
