"""A layer's gradient moments over an epoch: the monitor's gradient statistics.

Per watched weight, the sum of the minibatch gradients and of their elementwise squares,
in float64, as ``infoplane run`` keeps them; at the epoch's end the norm of their mean,
the norm of their elementwise standard deviation and the weight norm. On the CPU one
compiled pass reads each float32 gradient once and updates both sums in place (no
float64 copy of the gradient, no allocation per step); elsewhere (a GPU, other dtypes)
torch ops on a preallocated float64 buffer.
"""

from __future__ import annotations

import numpy as np
import torch
from numba import njit


@njit(cache=True, fastmath=False, error_model="numpy")
def _accumulate(g: np.ndarray, total: np.ndarray, squares: np.ndarray) -> None:
    """total += g, squares += g * g, elementwise in float64 (g float32 or float64)."""
    for j in range(g.size):
        v = np.float64(g[j])
        total[j] += v
        squares[j] += v * v


class GradientMoments:
    """Float64 sums of one weight's gradients and of their squares, on its device.

    Parameters
    ----------
    weight : tensor
        The weight whose ``.grad`` is added; the sums have its shape.
    """

    def __init__(self, weight: torch.Tensor) -> None:
        self.total = torch.zeros_like(weight, dtype=torch.float64,
                                      memory_format=torch.contiguous_format)
        self.squares = torch.zeros_like(self.total)
        self.count = 0
        self._host = self.total.device.type == "cpu"
        self._flat = (self.total.view(-1).numpy(), self.squares.view(-1).numpy()) \
            if self._host else None
        self._buffer: torch.Tensor | None = None

    def add(self, grad: torch.Tensor) -> None:
        """Add one minibatch gradient (same shape as the weight)."""
        grad = grad.detach()
        if (self._flat is not None and grad.device.type == "cpu" and grad.is_contiguous()
                and grad.dtype in (torch.float32, torch.float64)):
            _accumulate(grad.view(-1).numpy(), *self._flat)
        else:
            if self._buffer is None:
                self._buffer = torch.empty_like(self.total)
            self._buffer.copy_(grad)
            self.total.add_(self._buffer)
            self.squares.addcmul_(self._buffer, self._buffer)
        self.count += 1

    def load(self, total: torch.Tensor, squares: torch.Tensor, count: int) -> None:
        """Continue from saved sums (``total``, ``squares``: the weight's shape) of
        ``count`` gradients, as :meth:`~infoplane.torch.InformationPlaneMonitor.state_dict`
        keeps them; copied in place, so the compiled path's views stay valid."""
        self.total.copy_(total)
        self.squares.copy_(squares)
        self.count = int(count)

    def statistics(self, weight: torch.Tensor) -> torch.Tensor:
        """(norm of the mean gradient, norm of the elementwise std, weight norm), a
        float64 tensor of 3 on the weight's device; then empties the sums.

        The std is sqrt(max(E[g^2] - E[g]^2, 0)) elementwise, over the ``count``
        gradients added since the last call (``count`` must be > 0).
        """
        mean = self.total / self.count
        var = (self.squares / self.count - mean * mean).clamp_min_(0.0)
        w = weight.detach().to(torch.float64)
        stats = torch.stack([mean.square().sum().sqrt(), var.sum().sqrt(),
                             w.square().sum().sqrt()])
        self.total.zero_()
        self.squares.zero_()
        self.count = 0
        return stats
