"""The experiments of the reproduction, as a list of runs."""

from __future__ import annotations

from dataclasses import dataclass

from infoplane.config import RunConfig
from infoplane.estimators import available_estimators, get_estimator
from infoplane.nets.schedule import log_spaced_epochs
from infoplane.reproduce._scale import Scale

TRAIN_SIZES = (0.05, 0.45, 0.85)
"""Training-set fractions of the paper's Figures 2 and 3."""

MAIN_SIZE = 0.85
"""The training-set fraction of the paper's other experiments (the preset's)."""

DEPTH_WIDTHS = (10, 7, 5, 4, 3, 3)
"""Networks of 1..6 hidden layers take the first 1..6 of these widths (Figure 5)."""

IB_GAMMA = 10.0
"""gamma of the soft labels for the IB experiment: I(X;Y) ~ 0.91 bits on ico12 (and
on tishby12).
With deterministic labels the IB curve is trivial (Kolchinsky et al., ICLR 2019)."""

ERROR_LEVEL = 0.1
"""Claim 4's second measure: epochs until the seed-mean training error is below this."""

CRITIQUE_ESTIMATORS = ("kde", "noisy")
"""Estimators of the critiques' run (Saxe et al. 2018; Goldfeld et al. 2019), if registered."""


@dataclass(frozen=True)
class RunSpec:
    """One run of the reproduction: ``runs/<key>`` of the output directory."""

    key: str
    experiment: str
    label: str
    config: RunConfig


@dataclass(frozen=True)
class Plan:
    """Every run, and which run answers which question."""

    runs: tuple[RunSpec, ...]
    sizes: dict[float, str]
    depths: dict[int, str]
    main: str
    ib: str
    relu: str
    estimators: str | None
    critique_estimators: tuple[str, ...]
    missing_estimators: tuple[str, ...]
    ib_missing: str | None = None

    def spec(self, key: str) -> RunSpec:
        return next(r for r in self.runs if r.key == key)


def size_key(fraction: float) -> str:
    return f"size-{round(100 * fraction):02d}"


def make_plan(scale: Scale) -> Plan:
    """The runs for ``scale``: the 85% run is also the depth-5 network and the main run."""
    base = RunConfig(seeds=scale.seeds, epochs=scale.epochs, log_epochs=scale.log_epochs)
    runs: list[RunSpec] = []
    sizes = {}
    for fraction in TRAIN_SIZES:
        key = size_key(fraction)
        sizes[fraction] = key
        runs.append(
            RunSpec(
                key,
                "sizes",
                f"tanh, {round(100 * fraction)}% training set",
                base.replace(train_fraction=fraction),
            )
        )
    main = size_key(MAIN_SIZE)
    ib_missing = ib_unavailable(plots=scale.run_plots)
    runs.append(
        RunSpec(
            "ib-soft",
            "ib",
            f"tanh, soft labels (gamma {IB_GAMMA:g}), IB bound",
            base.replace(soft_labels=IB_GAMMA, ib=ib_missing is None),
        )
    )
    depths = {}
    for depth in range(1, len(DEPTH_WIDTHS) + 1):
        widths = DEPTH_WIDTHS[:depth]
        if widths == base.widths:
            depths[depth] = main
            continue
        key = f"depth-{depth}"
        depths[depth] = key
        runs.append(
            RunSpec(
                key,
                "depth",
                f"tanh, {depth} hidden layer(s) {'-'.join(map(str, widths))}",
                base.replace(widths=widths),
            )
        )
    runs.append(
        RunSpec(
            "relu", "critiques", "ReLU, binning (Saxe et al. 2018)", base.replace(activation="relu")
        )
    )
    present = tuple(e for e in CRITIQUE_ESTIMATORS if e in available_estimators())
    missing = tuple(e for e in CRITIQUE_ESTIMATORS if e not in present)
    estimators_key = None
    if present:
        options = {}
        if (
            "noisy" in present
            and scale.noisy_samples is not None
            and "n_samples" in get_estimator("noisy").defaults
        ):
            options["noisy"] = {"n_samples": scale.noisy_samples}
        estimators_key = "estimators"
        runs.append(
            RunSpec(
                estimators_key,
                "critiques",
                f"tanh, binning vs {' and '.join(present)}",
                base.replace(
                    seeds=scale.critique_seeds,
                    log_epochs=scale.critique_log_epochs,
                    estimators=("binning", *present),
                    estimator_options=options,
                ),
            )
        )
    return Plan(
        runs=tuple(runs),
        sizes=sizes,
        depths=depths,
        main=main,
        ib="ib-soft",
        relu="relu",
        estimators=estimators_key,
        critique_estimators=present,
        missing_estimators=missing,
        ib_missing=ib_missing,
    )


def ib_unavailable(*, plots: bool) -> str | None:
    """Why ``RunConfig(ib=True)`` cannot run in this installation, or None if it can.

    The IB solver (``infoplane.ib``) and, for the run's own figures,
    ``infoplane.plots.ib_bound`` are written separately and may not be there yet.
    """
    import importlib

    needed = [("infoplane.ib", ("ib_curve_from_conditional", "layers_against_bound"))]
    if plots:
        needed.append(("infoplane.plots.ib_bound", ("plot_ib_bound",)))
    for module, names in needed:
        try:
            loaded = importlib.import_module(module)
        except ImportError:
            return f"{module} is not available"
        absent = [n for n in names if not hasattr(loaded, n)]
        if absent:
            return f"{module} lacks {', '.join(absent)}"
    return None


SECONDS_PER_SEED_EPOCH = 1.1e-4
"""Rough training cost of one network for one epoch of the preset (2-core laptop)."""

SECONDS_PER_POINT = {"binning": 1e-4, "adaptive": 5e-3, "kde": 0.16, "noisy": 0.5, "knn": 2.8}
"""Rough cost of one information point (a seed, layer and logged epoch) at 4096 inputs."""

SECONDS_PER_RUN = 2.0
"""Fixed cost of a run (set-up, writing), plus as much again when it draws figures."""


def estimated_seconds(spec: RunSpec, *, plots: bool) -> float:
    """A rough guess of a run's duration, to weigh the overall progress bar."""
    c = spec.config
    layers = len(c.widths) + 1
    train = c.seeds * c.epochs * SECONDS_PER_SEED_EPOCH * layers / 6
    points = c.seeds * layers * len(log_spaced_epochs(c.epochs, c.log_epochs))
    estimate = 0.0
    for name in c.estimators:
        cost = SECONDS_PER_POINT.get(name, 0.5)
        if name == "noisy" and "noisy" in c.estimator_options:
            cost *= c.estimator_options["noisy"].get("n_samples", 4 * 4096) / (4 * 4096)
        estimate += points * cost
    if c.ib:
        estimate += points * 0.05
    return train + estimate + SECONDS_PER_RUN * (2 if plots else 1)
