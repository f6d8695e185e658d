"""The binning estimator in PyTorch, for activations that live on a GPU.

The same bins as :mod:`infoplane.estimators.binning` (unit value t goes to bin
floor((t - low) * (1 / width)) in float64, values outside the grid to the end bins),
the same entropies over n equally likely samples, computed on the tensor's device;
only two numbers come back to the host. Patterns are told apart with
``torch.unique(dim=0)``, so any layer width works without packing codes.
"""

from __future__ import annotations

import torch


def binning_information_torch(
    T: torch.Tensor, y: torch.Tensor, *, low: float, width: float, n_bins: int
) -> tuple[float, float]:
    """I(X;T) and I(T;Y) in bits of the binned layer ``T`` (n_samples, n_units).

    Parameters
    ----------
    T : tensor, shape (n_samples, n_units)
        Activations of n distinct, equally likely inputs, on any device.
    y : int64 tensor, shape (n_samples,)
        Label codes 0..K-1, on the same device.
    low, width : float
        The grid's low edge and bin width, in activation units (width <= 0 puts every
        value in one bin).
    n_bins : int
        Number of bins; indices are clipped to 0..n_bins-1.

    Returns
    -------
    (ixt, ity) : floats, bits.
    """
    n = T.shape[0]
    if width <= 0:
        idx = torch.zeros_like(T, dtype=torch.int64)
    else:
        scaled = (T.to(torch.float64) - low) * (1.0 / width)
        idx = torch.floor(scaled).clamp_(0, n_bins - 1).to(torch.int64)
    _, codes = torch.unique(idx.reshape(n, -1), dim=0, return_inverse=True)
    n_labels = int(y.max().item()) + 1 if n else 1
    h_t = _entropy(torch.bincount(codes), n)
    h_ty = _entropy(torch.bincount(codes * n_labels + y), n)
    h_y = _entropy(torch.bincount(y), n)
    ixt = max(h_t, 0.0)
    return ixt, max(h_t + h_y - h_ty, 0.0)


def _entropy(counts: torch.Tensor, n: int) -> float:
    """Entropy in bits of the distribution counts / n (zero counts ignored)."""
    p = counts[counts > 0].to(torch.float64) / n
    return float(-(p * torch.log2(p)).sum().item())
