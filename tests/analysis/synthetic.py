"""Synthetic run tables with known answers, shared by the analysis tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def gradients_crossing(
    crossings: dict[int, list[float]],
    *,
    epochs: int = 2000,
    slope: float = 0.5,
    noise: float = 0.0,
    seed: int = 0,
) -> pd.DataFrame:
    """A gradients table whose SNR of seed s, layer l is (c_ls / epoch) ** slope.

    ``crossings[layer][s]`` is where seed s's SNR crosses 1; ``noise`` is the standard
    deviation of independent log-normal noise on both norms, every epoch.
    """
    rng = np.random.default_rng(seed)
    e = np.arange(1, epochs + 1, dtype=float)
    rows = []
    for layer, cs in crossings.items():
        for s, c in enumerate(cs):
            std = 0.02 * np.exp(noise * rng.standard_normal(e.size))
            mean = 0.02 * (c / e) ** slope * np.exp(noise * rng.standard_normal(e.size))
            weight = np.full(e.size, 2.0 + 0.1 * s)
            rows.append(
                pd.DataFrame(
                    {
                        "seed": s,
                        "epoch": e.astype(int),
                        "layer": layer,
                        "grad_mean_norm": mean * weight,
                        "grad_std_norm": std * weight,
                        "weight_norm": weight,
                        "snr": mean / std,
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)


def information_peaking(
    peaks: dict[int, tuple[float, float, float]],
    *,
    epochs: tuple[int, ...] = (0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
    seeds: int = 3,
    seed_offsets: tuple[float, ...] = (0.0, 0.2, -0.2),
    estimator: str = "binning",
) -> pd.DataFrame:
    """An information table; layer l's I(X;T) rises linearly to ``top`` at ``peak``, then
    falls linearly to ``final`` at the last epoch (``peaks[l] = (peak, top, final)``), the
    same shape for every seed up to a constant offset (which the seed mean cancels).
    I(T;Y) rises linearly from 0 to 1 bit."""
    e = np.array(epochs, dtype=float)
    last = e[-1]
    rows = []
    for layer, (peak, top, final) in peaks.items():
        start = top - 2.0
        rise = (
            start + (top - start) * np.minimum(e, peak) / peak if peak > 0 else np.full(e.size, top)
        )
        fall = (top - final) * np.maximum(e - peak, 0) / max(last - peak, 1e-12)
        ixt = np.where(e <= peak, rise, top - fall)
        for s in range(seeds):
            rows.append(
                pd.DataFrame(
                    {
                        "seed": s,
                        "epoch": e.astype(int),
                        "layer": layer,
                        "estimator": estimator,
                        "ixt": ixt + seed_offsets[s % len(seed_offsets)],
                        "ity": e / last,
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)
