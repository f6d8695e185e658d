"""infoplane: the information plane of deep networks.

Train networks, estimate per layer I(X;T) and I(T;Y) over training, measure the
gradient signal-to-noise phases and place the layers against the Information
Bottleneck bound (Shwartz-Ziv & Tishby, 2017). All information is in bits.
"""

from infoplane.errors import InfoplaneError
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
