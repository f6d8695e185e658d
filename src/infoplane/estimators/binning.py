"""The binning estimator of Shwartz-Ziv & Tishby (2017).

Each unit is put in one of equal bins; the layer's state T is the tuple of its
units' bin indices. Over n distinct, equally likely inputs the binned network is a
deterministic function of X, so

    I(X;T) = H(T),    I(T;Y) = H(T) + H(Y) - H(T,Y),    in bits.

It measures the information of the *binned* (quantised) network, not of the
continuous one (whose I(X;T) is constant or infinite; Goldfeld et al., 2019), so
the numbers depend on the bin width (Saxe et al., 2018).

Options (one schema, :class:`BinningOptions`, checked by one validator)
-----------------------------------------------------------------------
bins : int >= 1, default 30
    Number of equal bins over the value range; ignored when ``bin_size`` is given.
value_range : "auto" (default), None or (low, high)
    The binned interval, in activation units. ``(low, high)``: that interval.
    ``None`` (or ``"data"``, its spelling in TOML and on the command line): each
    layer's own min and max. ``"auto"``: (-1, 1), the paper's range, when binning by
    ``bins``; the data when binning by ``bin_size``.
bin_size : float > 0 or None, default None
    A fixed bin width in activation units, instead of a bin count. Without a value
    range (``"auto"`` or None) the bins cover the data with edges at the multiples
    of ``bin_size`` (bin floor(t / bin_size), as in Saxe et al.'s code); with a value
    range, bins of that width from ``low`` cover it.

Values outside the range go to the end bins, whatever their size.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from infoplane.errors import check
from infoplane.estimators._base import (
    Estimator,
    InformationEstimate,
    check_option,
    is_int_at_least,
    is_positive_real,
    register,
)
from infoplane.estimators._counting import (
    binned_codes,
    binned_entropies,
    code_entropies,
    wide_codes,
    wide_entropies,
)

NAME = "binning"
_MAX_CODE = 2**62
"""Packed pattern codes stay below this so that code * n_labels fits in int64."""
AUTO = "auto"
"""``value_range`` default: (-1, 1) with ``bins``, the data with ``bin_size``."""
DATA = "data"
"""``value_range`` spelling of None (each layer's own min and max) where None cannot be
written (TOML, the command line)."""
PAPER_RANGE = (-1.0, 1.0)
EDGES = ("equal", "idnns")
"""The ``edges`` option: "equal", ``bins`` equal bins with values outside the range in
the end bins (the paper's rule, the default); "idnns", the authors' released code."""


def check_bins(bins: Any, estimator: str) -> None:
    """The one check of a ``bins`` option (binning, adaptive): an int >= 1."""
    check_option(is_int_at_least(bins, 1), estimator, "bins", "an int >= 1", bins)


@dataclass(frozen=True)
class BinningOptions:
    """The binning options, validated: the one schema for every analysis that bins.

    See the module docstring for the meaning of each field. Build it with
    :meth:`from_options`, which checks every value; :meth:`grid` gives the bins.
    """

    bins: int = 30
    value_range: tuple[float, float] | str | None = AUTO
    bin_size: float | None = None
    edges: str = "equal"

    @classmethod
    def from_options(
        cls, options: Mapping[str, Any], estimator: str = NAME
    ) -> BinningOptions:
        """Check ``options`` (any of the fields) and return them with defaults filled.

        Raises InfoplaneError with :func:`check_option`'s message for a bad value.
        """
        full = {**asdict(cls()), **options}
        check_bins(full["bins"], estimator)
        bin_size = full["bin_size"]
        check_option(
            bin_size is None or is_positive_real(bin_size),
            estimator, "bin_size", "a finite number > 0 or None", bin_size,
        )
        edges = full["edges"]
        check_option(edges in EDGES, estimator, "edges", f"one of {', '.join(EDGES)}", edges)
        options = cls(
            bins=int(full["bins"]),
            value_range=_checked_range(full["value_range"], estimator),
            bin_size=None if bin_size is None else float(bin_size),
            edges=edges,
        )
        if edges == "idnns":
            check_option(options.bins >= 2, estimator, "bins", 'an int >= 2 with edges="idnns"',
                         options.bins)
            check_option(options.fixed_range is not None, estimator, "value_range",
                         'a (low, high) pair with edges="idnns"', full["value_range"])
        return options

    def as_dict(self) -> dict[str, Any]:
        """The options as keyword arguments of the binning functions."""
        return asdict(self)

    @property
    def fixed_range(self) -> tuple[float, float] | None:
        """The interval binned whatever the data, or None where the data set it."""
        if self.value_range == AUTO:
            return PAPER_RANGE if self.bin_size is None else None
        return self.value_range  # type: ignore[return-value]

    def grid(self, Ts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per point of a stack (points, n, units): low edge, bin width, number of bins.

        Raises InfoplaneError where ``bin_size`` would make 2**62 bins or more.
        """
        rows = Ts.shape[0]
        fixed = self.fixed_range
        if fixed is None:
            low = Ts.min(axis=(1, 2)).astype(np.float64)
            high = Ts.max(axis=(1, 2)).astype(np.float64)
        else:
            low, high = np.full(rows, fixed[0]), np.full(rows, fixed[1])
        if self.bin_size is None:
            width = (high - low) / self.bins
            return low, width, np.full(rows, self.bins, dtype=np.int64)
        w = self.bin_size
        if fixed is None:  # edges at the multiples of the width
            low, high = np.floor(low / w) * w, (np.floor(high / w) + 1) * w
        count = np.maximum(1.0, np.ceil((high - low) / w))
        check(
            bool((count < _MAX_CODE).all()),
            f"bin_size {w!r} cuts the values' range [{low.min():g}, {high.max():g}] into "
            "2**62 bins or more; choose a larger bin_size",
        )
        return low, np.full(rows, w), count.astype(np.int64)


def _checked_range(value: Any, estimator: str) -> tuple[float, float] | str | None:
    """``value_range`` normalised: "auto", None or a (low, high) tuple of floats."""
    if value is None or (isinstance(value, str) and value in (AUTO, DATA)):
        return None if value == DATA else value
    ok = (
        not isinstance(value, str | bytes | Mapping)
        and np.ndim(value) == 1
        and len(value) == 2
        and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value)
        and bool(np.isfinite(value).all())
        and value[0] < value[1]
    )
    check_option(
        ok, estimator, "value_range",
        f"{AUTO!r}, {DATA!r} (or None) or (low, high) with finite low < high", value,
    )
    return float(value[0]), float(value[1])

def bin_indices(
    T: np.ndarray,
    *,
    bins: int = 30,
    value_range: tuple[float, float] | str | None = AUTO,
    bin_size: float | None = None,
) -> tuple[np.ndarray, int]:
    """Map activations to bin indices; values outside the range go to the end bins.

    Parameters
    ----------
    T : array, any shape
        Activations.
    bins, value_range, bin_size
        The binning options (module docstring); ``None`` or "auto" with a bin size
        take the range from ``T`` as a whole.

    Returns
    -------
    indices : int64 array, same shape as ``T``
        0 .. n_bins - 1.
    n_bins : int
    """
    T = np.asarray(T, dtype=np.float64)
    spec = BinningOptions.from_options(
        {"bins": bins, "value_range": value_range, "bin_size": bin_size}
    )
    low, width, n_bins = spec.grid(T.reshape(1, -1, 1))
    return _indices(T, low[0], width[0], int(n_bins[0])), int(n_bins[0])


def _indices(T: np.ndarray, low: float, width: float, n_bins: int) -> np.ndarray:
    """floor((T - low) / width), clipped to 0..n_bins-1 as floats, then int64."""
    if width <= 0:  # a constant layer: every value in one bin
        return np.zeros(T.shape, dtype=np.int64)
    # in float64 whatever T's type, as the compiled path does: equal bins on both
    idx = np.floor((np.asarray(T, dtype=np.float64) - low) * (1.0 / width))
    return np.clip(idx, 0, n_bins - 1).astype(np.int64)


def pattern_codes(indices: np.ndarray, n_bins: int) -> np.ndarray:
    """One int64 code per row pattern of bin indices, for a stack (..., n, units).

    Codes identify patterns within each (..., :) row set: equal rows get equal codes.
    Units are packed in base ``n_bins``; codes are re-ranked densely whenever the
    next unit would overflow, so any width works.
    """
    codes = np.zeros(indices.shape[:-1], dtype=np.int64)
    bound = 1  # an upper bound on the codes so far
    for unit in range(indices.shape[-1]):
        if bound * n_bins >= _MAX_CODE:
            codes = _dense_ranks(codes)
            bound = codes.shape[-1]
        codes = codes * n_bins + indices[..., unit]
        bound *= n_bins
    return codes


def _dense_ranks(codes: np.ndarray) -> np.ndarray:
    """Replace codes by their dense rank (0, 1, ...) within each row of the last axis."""
    order = np.argsort(codes, axis=-1, kind="stable")
    ordered = np.take_along_axis(codes, order, axis=-1)
    new = np.diff(ordered, axis=-1, prepend=ordered[..., :1]) != 0
    ranks = np.cumsum(new, axis=-1)
    out = np.empty_like(codes)
    np.put_along_axis(out, order, ranks, axis=-1)
    return out


def entropies_from_codes(codes: np.ndarray, y: np.ndarray, n_labels: int) -> tuple[np.ndarray, ...]:
    """H(T) and H(T,Y) in bits, for codes (rows, n) of n equally likely samples."""
    codes = np.ascontiguousarray(codes, dtype=np.int64).reshape(-1, codes.shape[-1])
    return code_entropies(codes, np.ascontiguousarray(y, dtype=np.int64), n_labels)


def _label_entropy(y: np.ndarray) -> tuple[float, int]:
    counts = np.bincount(y)
    p = counts[counts > 0] / y.size
    return float(-(p * np.log2(p)).sum()), counts.size


def binned_pattern_codes(
    Ts: np.ndarray,
    *,
    bins: int = 30,
    value_range: tuple[float, float] | str | None = AUTO,
    bin_size: float | None = None,
    edges: str = "equal",
) -> np.ndarray:
    """The binned state of each sample as one int64 code, for a stack (points, n, units).

    Equal codes within a row mean equal tuples of bin indices. Where the range comes
    from the data, each point is binned over its own values.
    Returns int64 codes of shape (points, n), all >= 0 and < 2**62.
    """
    Ts = np.asarray(Ts)
    spec = BinningOptions.from_options(
        {"bins": bins, "value_range": value_range, "bin_size": bin_size, "edges": edges}
    )
    if spec.edges == "idnns":
        return _idnns_codes(Ts, spec.bins, spec.fixed_range)
    low, width, n_bins = spec.grid(Ts)
    if _packable(Ts, n_bins):
        return binned_codes(Ts, low, width, n_bins)  # any strides (no copy)
    return _wide_codes(Ts, low, width, n_bins)


def _wide_codes(
    Ts: np.ndarray, low: np.ndarray, width: np.ndarray, n_bins: np.ndarray
) -> np.ndarray:
    """Codes of layers too wide to pack in one int64: :func:`_counting.wide_codes`
    (a fingerprint per sample, equal rows confirmed bin by bin; exact)."""
    return wide_codes(*_wide_args(Ts, low, width, n_bins))


def _wide_args(
    Ts: np.ndarray, low: np.ndarray, width: np.ndarray, n_bins: np.ndarray
) -> tuple[np.ndarray, ...]:
    if Ts.dtype not in (np.float32, np.float64):
        Ts = Ts.astype(np.float64)
    return (Ts, np.asarray(low, dtype=np.float64), np.asarray(width, dtype=np.float64),
            np.asarray(n_bins, dtype=np.int64))


def _packable(Ts: np.ndarray, n_bins: np.ndarray) -> bool:
    """Whether every sample's bin indices fit one int64 code in base n_bins."""
    return bool(Ts.shape[-1] * np.log2(max(int(n_bins.max(initial=1)), 2)) < 62)


def idnns_bin_indices(
    T: np.ndarray, *, bins: int = 30, value_range: tuple[float, float] = (-1.0, 1.0)
) -> np.ndarray:
    """Bin indices as the authors' released code (IDNNs) computes them, 0..bins-1.

    The code takes ``bins`` *edges* ``linspace(low, high, bins)`` (bins - 1 intervals)
    and maps each value to ``edges[np.digitize(value, edges) - 1]``: a value in
    [edges[k], edges[k+1]) gets index k, a value at or above ``high`` index bins - 1,
    and a value below ``low``, where ``digitize`` gives 0, wraps round to ``edges[-1]``
    and so shares index bins - 1 with the values at or above ``high`` (the defect
    listed in DESIGN.md; tanh never goes below -1, so for it the last index holds
    exactly the units saturated at 1.0).

    >>> idnns_bin_indices(np.array([-2.0, -1.0, -0.5, 0.0, 0.99, 1.0]), bins=5).tolist()
    [4, 0, 1, 2, 3, 4]
    """
    spec = BinningOptions.from_options({"bins": bins, "value_range": value_range, "edges": "idnns"})
    low, high = spec.fixed_range  # type: ignore[misc]
    edges = np.linspace(low, high, spec.bins)
    return (np.digitize(np.asarray(T, dtype=np.float64), edges) - 1) % int(bins)


def _idnns_codes(Ts: np.ndarray, bins: int, value_range: tuple[float, float]) -> np.ndarray:
    """Pattern codes of a stack (points, n, units) binned as the released code bins."""
    return pattern_codes(idnns_bin_indices(Ts, bins=bins, value_range=value_range), int(bins))


def _idnns_information_many(
    Ts: np.ndarray, y: np.ndarray, bins: int, value_range: tuple[float, float] | None
) -> tuple[np.ndarray, np.ndarray]:
    """binning_information_many with ``edges="idnns"``: the released code's bins."""
    h_y, n_labels = _label_entropy(y)
    codes = _idnns_codes(Ts, bins, value_range)
    h_t, h_ty = entropies_from_codes(codes, np.ascontiguousarray(y, dtype=np.int64), n_labels)
    return np.clip(h_t, 0.0, None), np.clip(h_t + h_y - h_ty, 0.0, None)


def binning_information_many(
    Ts: np.ndarray,
    y: np.ndarray,
    *,
    X: np.ndarray | None = None,
    bins: int = 30,
    value_range: tuple[float, float] | str | None = AUTO,
    bin_size: float | None = None,
    edges: str = "equal",
) -> tuple[np.ndarray, np.ndarray]:
    """Binning estimates for a stack of layers ``Ts`` (points, n, units), in bits.

    Where the range comes from the data, each point is binned over its own values.
    ``edges="idnns"`` bins as the authors' released code (:func:`idnns_bin_indices`;
    ``bin_size`` is then ignored). Returns ``(ixt, ity)``, each of shape (points,).
    """
    del X  # binning compares the layer with the labels only
    Ts = np.asarray(Ts)
    spec = BinningOptions.from_options(
        {"bins": bins, "value_range": value_range, "bin_size": bin_size, "edges": edges}
    )
    if spec.edges == "idnns":
        return _idnns_information_many(Ts, y, spec.bins, spec.fixed_range)
    h_y, n_labels = _label_entropy(y)
    y = np.ascontiguousarray(y, dtype=np.int64)
    low, width, n_bins = spec.grid(Ts)
    if _packable(Ts, n_bins):  # bin, pack and count in one pass, no codes array
        h_t, h_ty = binned_entropies(Ts, low, width, n_bins, y, n_labels)
    else:
        h_t, h_ty = wide_entropies(*_wide_args(Ts, low, width, n_bins), y, n_labels)
    # exact up to rounding: clamp the -4e-16 of a constant layer to 0
    return np.clip(h_t, 0.0, None), np.clip(h_t + h_y - h_ty, 0.0, None)


def binning_information(T: np.ndarray, y: np.ndarray, **options: Any) -> InformationEstimate:
    """Binning estimate for one layer T (n_samples x n_units); bits."""
    ixt, ity = binning_information_many(T[None], y, **options)
    return InformationEstimate(ixt=float(ixt[0]), ity=float(ity[0]))


def _validate(options: dict[str, Any]) -> dict[str, Any]:
    return BinningOptions.from_options(options).as_dict()


BINNING = register(
    Estimator(
        name=NAME,
        estimate=binning_information,
        estimate_many=binning_information_many,
        measures="I(X;T), I(T;Y) of the network with each unit quantised into equal bins",
        defaults=BinningOptions().as_dict(),
        validate=_validate,
    )
)
