"""The information plane of your own PyTorch model: a monitor and a Lightning callback.

:class:`InformationPlaneMonitor` watches chosen layers of any ``torch.nn.Module``
trained in your own loop (forward hooks on a probe set at log-spaced epochs, gradient
statistics of the layers' weights every epoch) and writes the same run directory as
``infoplane run``. :class:`InformationPlaneCallback` (in ``infoplane.torch.lightning``,
needs the ``infoplane[lightning]`` extra) does the same from a Lightning ``Trainer``.
"""

from __future__ import annotations

from typing import Any

from infoplane.measure import Binning
from infoplane.torch._monitor import InformationPlaneMonitor, MonitorResult

__all__ = ["Binning", "InformationPlaneCallback", "InformationPlaneMonitor", "MonitorResult"]


def __getattr__(name: str) -> Any:
    if name == "InformationPlaneCallback":  # imports lightning only when asked for
        from infoplane.torch.lightning import InformationPlaneCallback

        return InformationPlaneCallback
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
