"""The monitor as a PyTorch Lightning callback (needs the ``infoplane[lightning]`` extra).

It only translates Trainer events to :class:`InformationPlaneMonitor` calls: hooks
and epoch 0 at ``on_fit_start`` (the model is on its device by then), gradients in
``on_before_optimizer_step``, metrics and measurement at ``on_train_epoch_end``, the
run directory at ``on_fit_end``; hooks are removed at teardown and on exceptions. Its
``state_dict`` goes into the Trainer's checkpoints: ``fit(ckpt_path=...)`` continues
the tables, the gradient moments of the epoch in progress and the logged-epoch
schedule where the checkpoint left them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from infoplane.errors import InfoplaneError, check
from infoplane.torch._monitor import TRAINING_METRICS, InformationPlaneMonitor, MonitorResult

try:
    import lightning
except ImportError:  # pragma: no cover - depends on the environment
    raise InfoplaneError(
        "the Lightning callback needs lightning: pip install 'infoplane[lightning]'"
    ) from None


class InformationPlaneCallback(lightning.Callback):
    """Information plane and gradient phases of a LightningModule during ``fit``.

    Takes the arguments of :class:`~infoplane.torch.InformationPlaneMonitor` except
    the model (``probe``, ``layers``, ``estimators``, ``out``, ``binning``, ...);
    ``epochs`` defaults to the Trainer's ``max_epochs``. ``metrics`` maps the columns
    of ``training.parquet`` (train_loss, train_accuracy, test_loss, test_accuracy) to
    names the module logs with ``on_epoch=True``; by default the same names are used.
    After ``fit``, :attr:`result` holds the tables.
    """

    def __init__(self, probe: Any, *, metrics: Mapping[str, str] | None = None,
                 **monitor_options: Any) -> None:
        super().__init__()
        self.probe = probe
        self.metrics = dict(metrics) if metrics is not None else {m: m for m in TRAINING_METRICS}
        unknown = sorted(set(self.metrics) - set(TRAINING_METRICS))
        check(not unknown, f"unknown metric column(s) {', '.join(unknown)}; "
              f"choose from: {', '.join(TRAINING_METRICS)}")
        self.options = monitor_options
        self.monitor: InformationPlaneMonitor | None = None
        self.result: MonitorResult | None = None
        self._restored: dict[str, Any] | None = None

    def on_fit_start(self, trainer: lightning.Trainer, pl_module: lightning.LightningModule
                     ) -> None:
        options = dict(self.options)
        if "schedule" not in options:
            options.setdefault("epochs", trainer.max_epochs)
            check(isinstance(options["epochs"], int) and options["epochs"] > 0,
                  "set the Trainer's max_epochs or give the callback epochs= or schedule=")
        if not trainer.is_global_zero:
            options["out"] = None  # one process writes the run directory
        self.monitor = InformationPlaneMonitor(pl_module, self.probe, **options)
        if self._restored is not None:  # resumed from a checkpoint of this callback
            self.monitor.load_state_dict(self._restored)
            self._restored = None
        self.monitor.__enter__()

    def on_before_optimizer_step(self, trainer: lightning.Trainer,
                                 pl_module: lightning.LightningModule, optimizer: Any) -> None:
        if self.monitor is not None:
            self.monitor.after_backward()

    def on_train_epoch_end(self, trainer: lightning.Trainer,
                           pl_module: lightning.LightningModule) -> None:
        if self.monitor is None:
            return
        logged = trainer.callback_metrics
        values = {column: logged[name] for column, name in self.metrics.items() if name in logged}
        self.monitor.end_epoch(trainer.current_epoch + 1, metrics=values or None)

    def on_fit_end(self, trainer: lightning.Trainer, pl_module: lightning.LightningModule
                   ) -> None:
        if self.monitor is not None and trainer.is_global_zero:
            self.result = self.monitor.finish()
        self._close()

    def on_exception(self, trainer: lightning.Trainer, pl_module: lightning.LightningModule,
                     exception: BaseException) -> None:
        if self.monitor is not None:  # the tables so far; status interrupted or failed
            self.monitor.__exit__(type(exception), exception, exception.__traceback__)

    def state_dict(self) -> dict[str, Any]:
        """The monitor's state (rows, gradient moments, schedule) for the Trainer's
        checkpoint, so that ``fit(ckpt_path=...)`` continues the same tables."""
        if self.monitor is not None:
            return self.monitor.state_dict()
        return dict(self._restored or {})

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Keep a checkpoint's monitor state for the next ``on_fit_start``."""
        self._restored = dict(state_dict) if state_dict else None

    def teardown(self, trainer: lightning.Trainer, pl_module: lightning.LightningModule,
                 stage: str) -> None:
        self._close()

    @property
    def out(self) -> Path | None:
        """The run directory the callback writes at the end of ``fit``."""
        out = self.options.get("out")
        return None if out is None else Path(out)

    def _close(self) -> None:
        if self.monitor is not None:
            self.monitor.close()
