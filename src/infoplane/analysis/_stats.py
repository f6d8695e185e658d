"""Summaries over seeds shared by the analyses."""

from __future__ import annotations

import numpy as np


def spread(values: np.ndarray, name: str) -> dict[str, float]:
    """``{name}_median``, ``{name}_q25``, ``{name}_q75`` and ``{name}_std`` of ``values``.

    NaN for an empty array; the standard deviation (ddof 1) is 0 for one value.
    Values of +inf (e.g. "not reached") take part in the quantiles, which may then be
    inf; the standard deviation is then inf too.
    """
    values = np.asarray(values, dtype=float)
    nan = float("nan")
    if values.size == 0:
        return {f"{name}_median": nan, f"{name}_q25": nan, f"{name}_q75": nan, f"{name}_std": nan}
    if np.isfinite(values).all():
        q25, med, q75 = (float(q) for q in np.quantile(values, [0.25, 0.5, 0.75]))
    else:  # "lower"/"higher" interpolation keeps inf out of inf - inf arithmetic
        q25 = float(np.quantile(values, 0.25, method="lower"))
        med = float(np.quantile(values, 0.5, method="higher"))
        q75 = float(np.quantile(values, 0.75, method="higher"))
    if values.size == 1:
        std = 0.0
    elif np.isfinite(values).all():
        std = float(np.std(values, ddof=1))
    else:
        std = float("inf")
    return {f"{name}_median": med, f"{name}_q25": q25, f"{name}_q75": q75, f"{name}_std": std}
