"""The estimator protocol, the result type, the registry and input validation."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from infoplane.errors import InfoplaneError, check

EstimateFn = Callable[..., "InformationEstimate"]
"""``fn(T, y, *, X=None, **options) -> InformationEstimate`` on validated arrays."""

ValidateFn = Callable[[dict[str, Any]], dict[str, Any]]
"""``fn(options) -> options``: checks every value of a full set of options (defaults
filled) with :func:`check_option`'s message and returns them normalised."""

EstimateManyFn = Callable[..., tuple[np.ndarray, np.ndarray]]
"""``fn(Ts, y, *, X=None, **options) -> (ixt, ity)`` for a stack ``Ts`` of shape
(points, n_samples, n_units); returns two arrays of shape (points,) in bits."""


@dataclass(frozen=True)
class InformationEstimate:
    """Estimates of I(X;T) and I(T;Y) for one layer, in bits.

    ``ixt_stderr`` and ``ity_stderr`` are Monte Carlo standard errors (bits) for
    sampling estimators, ``None`` where the estimate is deterministic.
    """

    ixt: float
    ity: float
    ixt_stderr: float | None = None
    ity_stderr: float | None = None


@dataclass(frozen=True)
class Estimator:
    """A registered mutual-information estimator.

    ``estimate`` works on one layer; ``estimate_many`` (optional) on a stack of
    layers of equal width sharing the labels, for speed. ``measures`` says in one line
    what the numbers are (a quantity of the deterministic network, a bound, or of the
    noisy network). ``needs_inputs`` is true where ``X`` must be given. ``validate``
    checks the values of a full set of options (see :func:`resolve_options`).
    """

    name: str
    estimate: EstimateFn
    measures: str
    defaults: dict[str, Any] = field(default_factory=dict)
    estimate_many: EstimateManyFn | None = None
    needs_inputs: bool = False
    validate: ValidateFn | None = None

    def many(
        self, Ts: np.ndarray, y: np.ndarray, *, X: np.ndarray | None = None, **options: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        """Estimate for every layer in the stack ``Ts`` (points, n, units); bits."""
        if self.estimate_many is not None:
            return self.estimate_many(Ts, y, X=X, **options)
        ixt, ity, _, _ = self.many_with_stderr(Ts, y, X=X, **options)
        return ixt, ity

    def many_with_stderr(
        self, Ts: np.ndarray, y: np.ndarray, *, X: np.ndarray | None = None, **options: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`many` with the Monte Carlo standard errors: (ixt, ity, ixt_stderr,
        ity_stderr), each of shape (points,), bits; the stderrs are NaN where the
        estimate is deterministic (every estimator with an ``estimate_many``)."""
        if self.estimate_many is not None:
            ixt, ity = self.estimate_many(Ts, y, X=X, **options)
            nan = np.full(len(ixt), np.nan)
            return ixt, ity, nan, nan.copy()
        results = [self.estimate(T, y, X=X, **options) for T in Ts]

        def column(name: str) -> np.ndarray:
            values = [getattr(r, name) for r in results]
            return np.array([np.nan if v is None else v for v in values], dtype=float)

        return column("ixt"), column("ity"), column("ixt_stderr"), column("ity_stderr")


_REGISTRY: dict[str, Estimator] = {}


def register(estimator: Estimator) -> Estimator:
    """Add ``estimator`` to the registry under its name and return it."""
    _REGISTRY[estimator.name] = estimator
    return estimator


def available_estimators() -> list[str]:
    """The names of all registered estimators, sorted."""
    return sorted(_REGISTRY)


def get_estimator(name: str) -> Estimator:
    """The registered estimator called ``name``; a one-line error for an unknown name."""
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(available_estimators())
        raise InfoplaneError(f"unknown estimator {name!r}; choose one of: {known}") from None


def check_option_names(estimator: Estimator, options: Mapping[str, Any]) -> None:
    """Reject options that ``estimator`` does not take, naming them."""
    unknown = sorted(set(options) - set(estimator.defaults))
    if unknown:
        allowed = ", ".join(sorted(estimator.defaults)) or "none"
        raise InfoplaneError(
            f"estimator {estimator.name!r} takes no option {', '.join(map(repr, unknown))}; "
            f"its options are: {allowed}"
        )


def resolve_options(name: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """The full options of estimator ``name``: ``options`` checked, defaults filled.

    Every name and every value is checked before any work (the one entry point of the
    API, the recorder and the command line), so a bad option is reported before
    training, in one line with :func:`check_option`'s template.

    Parameters
    ----------
    name : str
        A registered estimator name.
    options : mapping
        Some of the estimator's options.

    Returns
    -------
    dict
        Every option of the estimator, the given ones normalised (e.g. a value range
        as a tuple of floats), the others at their defaults.

    Raises
    ------
    InfoplaneError
        For an unknown estimator, an option it does not take, or a bad value.
    """
    estimator = get_estimator(name)
    check(
        isinstance(options, Mapping),
        f"the options of estimator {name!r} must be a table of NAME = VALUE, got {options!r}",
    )
    check_option_names(estimator, options)
    full = {**estimator.defaults, **options}
    return full if estimator.validate is None else estimator.validate(full)


def check_option(ok: bool, estimator: str, option: str, requirement: str, value: Any) -> None:
    """Raise the one-line error for a bad option value unless ``ok``.

    The message reads: "The 'sigma2' option of estimator 'kde' must be > 0, got -1."
    """
    check(
        ok,
        f"The {option!r} option of estimator {estimator!r} must be {requirement}, got {value!r}.",
    )


def is_int_at_least(value: Any, low: int) -> bool:
    """True for an integer (not a bool) that is at least ``low``."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= low


def is_positive_real(value: Any) -> bool:
    """True for a finite real number (not a bool) that is > 0."""
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and bool(np.isfinite(value))
        and value > 0
    )


def check_seed(seed: Any, estimator: str) -> None:
    """The one check of a ``seed`` option: an int >= 0 or a ``numpy.random.Generator``."""
    check_option(
        isinstance(seed, np.random.Generator) or is_int_at_least(seed, 0),
        estimator, "seed", "an int >= 0 or a Generator", seed,
    )


def make_rng(seed: Any, estimator: str) -> np.random.Generator:
    """A generator from the ``seed`` option: an int >= 0 or a ``numpy.random.Generator``."""
    check_seed(seed, estimator)
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(int(seed))


def validate_activations(T: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """Check and convert ``T`` (n_samples x n_units) and labels ``y`` (n_samples,).

    Returns ``T`` as float64 and ``y`` recoded to 0..K-1 (int64).
    """
    T = np.asarray(T)
    if T.ndim == 1:
        T = T[:, None]
    check(T.ndim == 2, f"activations T must be 2-D (n_samples x n_units), got shape {T.shape}")
    check(T.shape[0] > 0 and T.shape[1] > 0, f"activations T are empty (shape {T.shape})")
    check(
        np.issubdtype(T.dtype, np.number) or T.dtype == bool,
        f"activations T must be numeric, got dtype {T.dtype}",
    )
    T = T.astype(np.float64, copy=False)
    check(bool(np.isfinite(T).all()), "activations T contain NaN or infinite values")
    return T, validate_labels(y, T.shape[0])


def validate_inputs(X: Any, n_samples: int) -> np.ndarray:
    """The inputs ``X`` as float64 (n_samples x n_inputs); finite, one row a sample."""
    try:
        X = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise InfoplaneError("inputs X must be a numeric array") from None
    if X.ndim == 1:
        X = X[:, None]
    check(
        X.ndim == 2 and X.shape[0] == n_samples,
        f"inputs X must be 2-D with {n_samples} rows, got shape {X.shape}",
    )
    check(bool(np.isfinite(X).all()), "inputs X contain NaN or infinite values")
    return X


def validate_labels(y: Any, n_samples: int) -> np.ndarray:
    """Labels as int64 codes 0..K-1; ``y`` must be 1-D with ``n_samples`` entries."""
    y = np.asarray(y)
    check(y.ndim == 1, f"labels y must be 1-D, got shape {y.shape}")
    check(
        y.shape[0] == n_samples,
        f"labels y have {y.shape[0]} entries but activations have {n_samples} samples",
    )
    if y.dtype.kind == "f":
        check(bool(np.isfinite(y).all()), "labels y contain NaN or infinite values")
    _, codes = np.unique(y, return_inverse=True)
    return codes.astype(np.int64).ravel()


def estimate_information(
    T: Any,
    y: Any,
    estimator: str = "binning",
    *,
    X: Any | None = None,
    **options: Any,
) -> InformationEstimate:
    """Estimate I(X;T) and I(T;Y), in bits, for one layer.

    Parameters
    ----------
    T : array, shape (n_samples, n_units)
        The layer's activations on n distinct, equally likely inputs.
    y : array, shape (n_samples,)
        The labels (any hashable values; recoded internally).
    estimator : str, default "binning"
        A registered estimator name (see :func:`available_estimators`).
    X : array, shape (n_samples, n_inputs), optional
        The inputs; required by estimators that compare layer and input directly.
    **options
        The estimator's options (see its documentation), checked by
        :func:`resolve_options` before any work.

    Returns
    -------
    InformationEstimate
        ``.ixt`` = I(X;T) and ``.ity`` = I(T;Y), in bits.

    Raises
    ------
    InfoplaneError
        For an unknown estimator or option, a bad option value, or malformed or
        non-finite ``T``, ``y`` or ``X``.

    Examples
    --------
    >>> import numpy as np
    >>> T = np.linspace(-1, 1, 8)[:, None]        # 8 inputs, each in its own bin
    >>> est = estimate_information(T, [0, 0, 0, 0, 1, 1, 1, 1], bins=8)
    >>> float(est.ixt), float(est.ity)
    (3.0, 1.0)
    """
    est = get_estimator(estimator)
    full = resolve_options(estimator, options)
    T_arr, y_arr = validate_activations(T, y)
    X_arr = None if X is None else validate_inputs(X, T_arr.shape[0])
    check(
        not est.needs_inputs or X_arr is not None,
        f"estimator {estimator!r} needs the inputs: pass X=",
    )
    return est.estimate(T_arr, y_arr, X=X_arr, **full)
