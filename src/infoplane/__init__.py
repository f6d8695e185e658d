"""infoplane: the information plane of deep networks.

Train networks, estimate per layer I(X;T) and I(T;Y) over training, measure the
gradient signal-to-noise phases and place the layers against the Information
Bottleneck bound (Shwartz-Ziv & Tishby, 2017). All information is in bits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from infoplane.errors import InfoplaneError

if TYPE_CHECKING:
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


def __getattr__(name: str) -> Any:
    """The estimators' names, imported on first use (PEP 562): importing the package,
    as every ``infoplane`` command and the first-run compiling child do, loads no
    estimator (SciPy, numba) until one is asked for."""
    if name in _FROM_ESTIMATORS:
        from infoplane import estimators

        return getattr(estimators, name)
    raise AttributeError(f"module 'infoplane' has no attribute {name!r}")
