"""The MLP ensemble's shape, flat parameter layout and initialisation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TRUNCATION = 2.0
"""Truncated-normal init redraws values beyond this many standard deviations."""


@dataclass(frozen=True)
class Layout:
    """Layer sizes (inputs, hidden widths..., classes) and the flat parameter offsets.

    Layer l (0-based) maps ``sizes[l]`` units to ``sizes[l + 1]``; its weights
    (row-major, n_in x n_out) start at ``off_w[l]`` and its biases at ``off_b[l]``
    in a seed's flat parameter vector of length ``n_params``.
    """

    sizes: tuple[int, ...]

    @property
    def n_layers(self) -> int:
        """Number of weight layers: hidden layers plus the output layer."""
        return len(self.sizes) - 1

    @property
    def off_w(self) -> np.ndarray:
        return self._offsets()[0]

    @property
    def off_b(self) -> np.ndarray:
        return self._offsets()[1]

    @property
    def n_params(self) -> int:
        return int(sum(a * b + b for a, b in zip(self.sizes[:-1], self.sizes[1:], strict=True)))

    def _offsets(self) -> tuple[np.ndarray, np.ndarray]:
        off_w, off_b, pos = [], [], 0
        for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:], strict=True):
            off_w.append(pos)
            off_b.append(pos + n_in * n_out)
            pos += n_in * n_out + n_out
        return np.array(off_w, dtype=np.int64), np.array(off_b, dtype=np.int64)

    def unflatten(self, flat: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Split flat parameters (..., n_params) into [(W (..., n_in, n_out), b (..., n_out))]."""
        out = []
        for layer, (n_in, n_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:], strict=True)):
            ow, ob = int(self.off_w[layer]), int(self.off_b[layer])
            w = flat[..., ow : ow + n_in * n_out].reshape(*flat.shape[:-1], n_in, n_out)
            out.append((w, flat[..., ob : ob + n_out]))
        return out

    def initial_parameters(self, rng: np.random.Generator) -> np.ndarray:
        """One seed's flat float32 parameters: truncated normal weights, std
        1/sqrt(fan_in), redrawn beyond 2 std; zero biases (the paper's code)."""
        flat = np.zeros(self.n_params, dtype=np.float32)
        for layer, (n_in, n_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:], strict=True)):
            z = rng.standard_normal(n_in * n_out)
            while (bad := np.abs(z) > TRUNCATION).any():
                z[bad] = rng.standard_normal(int(bad.sum()))
            ow = int(self.off_w[layer])
            flat[ow : ow + n_in * n_out] = z / np.sqrt(n_in)
        return flat
