"""infoplane: the information plane of deep networks.

Train networks, estimate per layer I(X;T) and I(T;Y) over training, measure the
gradient signal-to-noise phases and place the layers against the Information
Bottleneck bound (Shwartz-Ziv & Tishby, 2017). All information is in bits.
"""

from __future__ import annotations

import importlib as _importlib
import importlib.util as _importlib_util
import typing as _typing

from infoplane.errors import InfoplaneError

if _typing.TYPE_CHECKING:
    from infoplane.estimators import (
        InformationEstimate,
        available_estimators,
        estimate_information,
    )

__version__ = "0.1.0"

__all__ = [
    "InfoplaneError",
    "InformationEstimate",
    "__version__",
    "available_estimators",
    "estimate_information",
]

_FROM_ESTIMATORS = frozenset({"InformationEstimate", "available_estimators",
                              "estimate_information"})


def __getattr__(name: str) -> _typing.Any:
    """The estimators' names and the subpackages, imported on first use (PEP 562):
    importing the package, as every ``infoplane`` command and the first run's compiling
    children do, loads no estimator (SciPy, numba) until one is asked for."""
    if name in _FROM_ESTIMATORS:
        from infoplane import estimators

        return getattr(estimators, name)
    if not name.startswith("_") and _importlib_util.find_spec(f"{__name__}.{name}"):
        return _importlib.import_module(f"{__name__}.{name}")  # e.g. infoplane.estimators
    raise AttributeError(f"module 'infoplane' has no attribute {name!r}")


def __dir__() -> list[str]:
    public = {name for name in globals() if not name.startswith("_")} - {"annotations"}
    return sorted(public | set(__all__))
