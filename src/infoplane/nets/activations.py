"""Activation functions by name, their properties, and a fast float32 tanh."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np

from infoplane.errors import InfoplaneError

if TYPE_CHECKING:  # torch is imported where it is used: a run's config needs none of it
    import torch

ACTIVATIONS: tuple[str, ...] = (
    "tanh", "relu", "sigmoid", "softsign", "softplus", "elu", "silu", "linear",
)
"""Hidden-layer activations, in the order of their integer codes in the CPU kernel."""

BOUNDED: frozenset[str] = frozenset({"tanh", "sigmoid", "softsign"})
"""Activations whose values lie in [-1, 1], binned over [-1, 1] as in the paper."""


def activation_code(name: str) -> int:
    """The integer code of activation ``name``; a one-line error for unknown names."""
    try:
        return ACTIVATIONS.index(name)
    except ValueError:
        raise InfoplaneError(
            f"unknown activation {name!r}; choose one of: {', '.join(ACTIVATIONS)}"
        ) from None


def torch_activation(name: str, z: torch.Tensor) -> torch.Tensor:
    """Apply activation ``name`` to ``z`` with PyTorch (the reference implementation)."""
    import torch

    functions = {
        "tanh": torch.tanh,
        "relu": torch.relu,
        "sigmoid": torch.sigmoid,
        "softsign": torch.nn.functional.softsign,
        "softplus": torch.nn.functional.softplus,
        "elu": torch.nn.functional.elu,
        "silu": torch.nn.functional.silu,
        "linear": lambda t: t,
    }
    return functions[name](z)


def tanh_rational_coefficients(depth: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients (lowest order first, in u = x**2) of tanh(x) ~ x P(u) / Q(u).

    P/Q is the ``depth``-th convergent of Lambert's continued fraction
    tanh x = x / (1 + u / (3 + u / (5 + ...))), computed exactly with fractions.
    All coefficients are positive, so Horner evaluation in float32 has no
    cancellation. With depth 12 the error on |x| <= 9 is below 4e-8 in exact
    arithmetic (about 3e-7 in float32); beyond |x| = 9, tanh rounds to +-1.
    """
    a_prev, a = [Fraction(1)], [Fraction(1)]  # denominators' convergents A_k
    b_prev, b = [Fraction(0)], [Fraction(1)]  # numerators' convergents B_k

    def step(cur: list[Fraction], prev: list[Fraction], k: int) -> list[Fraction]:
        out = [Fraction(0)] * max(len(cur), len(prev) + 1)
        for i, c in enumerate(cur):
            out[i] += (2 * k + 1) * c
        for i, c in enumerate(prev):
            out[i + 1] += c
        return out

    for k in range(1, depth + 1):
        a, a_prev = step(a, a_prev, k), a
        b, b_prev = step(b, b_prev, k), b
    scale = a[0]
    return (
        np.array([float(c / scale) for c in b], dtype=np.float64),
        np.array([float(c / scale) for c in a], dtype=np.float64),
    )
