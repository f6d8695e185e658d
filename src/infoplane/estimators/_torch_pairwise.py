"""The pairwise sums of :mod:`._pairwise` in PyTorch, on any device (``--device cuda``).

Same quantities, same float32/float64 choice; computed in row blocks of exact
distances (``torch.cdist`` without the matrix-product shortcut) and ``logsumexp``.
Imported only when a torch tensor or a ``device`` is given.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from infoplane.estimators._pairwise import draw_margin, work_dtype

BLOCK_ELEMENTS = 2**24
"""Distances held at once (rows x centres)."""


def centred_on(T: Any, device: str | torch.device | None) -> torch.Tensor:
    """``T`` as float64 on ``device`` (default: its own, or the CPU), minus its column mean."""
    T = torch.as_tensor(T)
    T = T.to(device=device if device is not None else T.device, dtype=torch.float64)
    return T - T.mean(dim=0)


def _dtype(centred: torch.Tensor, s: float, margin: float = 0.0) -> torch.dtype:
    n, units = centred.shape
    norm = float(centred.norm(dim=1).max()) + margin
    return torch.float32 if work_dtype(n, units, norm, s) is np.float32 else torch.float64


def _log_sums(b: torch.Tensor, label: torch.Tensor, own_label: torch.Tensor) -> tuple:
    """ln Σ_j exp(b_rj) over all columns, and over the columns of row r's class."""
    in_class = own_label[:, None] == label[None, :]
    return torch.logsumexp(b, 1), torch.logsumexp(b.masked_fill(~in_class, -torch.inf), 1)


def _numpy(*tensors: torch.Tensor) -> tuple[np.ndarray, ...]:
    return tuple(t.to(device="cpu", dtype=torch.float64).numpy() for t in tensors)


def kde_log_sums(centred: torch.Tensor, y: Any, s: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`._pairwise.kde_log_sums` for ``centred`` (n, units) float64 on its device
    (any row order; ``y`` labels 0..K-1); float64 arrays (n,) in nats."""
    C = centred.to(_dtype(centred, s))
    label = torch.as_tensor(y, device=C.device)
    rows = max(1, BLOCK_ELEMENTS // C.shape[0])
    parts = []
    for start in range(0, C.shape[0], rows):
        d2 = torch.cdist(C[start : start + rows], C, compute_mode="donot_use_mm_for_euclid_dist")
        b = d2.square_().mul_(-1.0 / s)
        parts.append(_log_sums(b, label, label[start : start + rows]))
    return _numpy(torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts]))


class NoisyCentres:
    """:class:`._pairwise.NoisyCentres` held on the device of ``centred`` (float64)."""

    def __init__(
        self, centred: torch.Tensor, y: Any, sigma: float, dtype: type | None = None
    ) -> None:
        self.s = 2.0 * sigma**2
        if dtype is None:
            self.C = centred.to(_dtype(centred, self.s, draw_margin(sigma, centred.shape[1])))
        else:
            self.C = centred.to(torch.float32 if dtype is np.float32 else torch.float64)
        self.label = torch.as_tensor(y, device=self.C.device)

    def log_sums(
        self, draws: np.ndarray, own: np.ndarray, noise_sq: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`._pairwise.NoisyCentres.log_sums` for one block of draws."""
        dev = self.C.device
        V = torch.as_tensor(draws, device=dev).to(self.C.dtype)
        own_t = torch.as_tensor(own, device=dev)
        own_sq = torch.as_tensor(noise_sq, device=dev).to(self.C.dtype)
        d2 = torch.cdist(V, self.C, compute_mode="donot_use_mm_for_euclid_dist").square_()
        d2[torch.arange(len(own_t), device=dev), own_t] = own_sq  # exact for the own centre
        b = (own_sq[:, None] - d2).mul_(1.0 / self.s)
        return _numpy(*_log_sums(b, self.label, self.label[own_t]))
