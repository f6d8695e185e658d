"""The Information Bottleneck bound and the distance of network layers to it.

Pure functions of arrays, all information in bits:

- :func:`ib_curve` / :func:`ib_curve_from_conditional`: the IB curve of a discrete
  p(x, y) by deterministic annealing of the self-consistent equations;
- :func:`labels_are_deterministic`: when y is a function of x the curve is trivial
  (Kolchinsky, Tracey & Van Kuyk, 2019), and :func:`ib_curve` returns it exactly;
- :func:`layer_against_bound` / :func:`layers_against_bound`: I(X;T), I(T;Y), the gap
  to the bound and the fitted beta of deterministic layers (Shwartz-Ziv & Tishby, 2017);
- :func:`upper_concave_envelope`.
"""

from infoplane.ib._envelope import upper_concave_envelope
from infoplane.ib._layers import LayerIB, layer_against_bound, layers_against_bound
from infoplane.ib._solver import (
    IBCurve,
    IBPoints,
    ib_curve,
    ib_curve_from_conditional,
    labels_are_deterministic,
)

__all__ = [
    "IBCurve",
    "IBPoints",
    "LayerIB",
    "ib_curve",
    "ib_curve_from_conditional",
    "labels_are_deterministic",
    "layer_against_bound",
    "layers_against_bound",
    "upper_concave_envelope",
]
