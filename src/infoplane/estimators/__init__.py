"""Mutual-information estimators: pure functions of arrays, bits out, one registry.

Every estimator takes activations ``T`` (n_samples x n_units) of n distinct, equally
likely inputs and integer labels ``y`` and returns I(X;T) and I(T;Y) in bits.
"""

from infoplane.estimators import adaptive as _adaptive  # noqa: F401  (registers)
from infoplane.estimators import binning as _binning  # noqa: F401  (registers)
from infoplane.estimators import kde as _kde  # noqa: F401  (registers)
from infoplane.estimators import knn as _knn  # noqa: F401  (registers)
from infoplane.estimators import noisy as _noisy  # noqa: F401  (registers)
from infoplane.estimators._base import (
    Estimator,
    InformationEstimate,
    available_estimators,
    estimate_information,
    get_estimator,
    register,
    resolve_options,
)

__all__ = [
    "Estimator",
    "InformationEstimate",
    "available_estimators",
    "estimate_information",
    "get_estimator",
    "register",
    "resolve_options",
]
