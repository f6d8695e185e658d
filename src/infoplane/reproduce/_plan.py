"""Plan: every experiment's runs, as one list of run directories to make."""

from __future__ import annotations

from dataclasses import dataclass

from infoplane.errors import InfoplaneError
from infoplane.nets.schedule import log_spaced_epochs
from infoplane.reproduce._experiments import EXPERIMENTS
from infoplane.reproduce._runs import RunSpec
from infoplane.reproduce._scale import Scale


@dataclass(frozen=True)
class Plan:
    """The runs of the reproduction, each once, in the order the experiments name them."""

    runs: tuple[RunSpec, ...]

    def spec(self, key: str) -> RunSpec:
        return next(r for r in self.runs if r.key == key)

    @property
    def specs(self) -> dict[str, RunSpec]:
        return {r.key: r for r in self.runs}


def make_plan(scale: Scale) -> Plan:
    """The runs for ``scale``; a run several experiments share (the main run) is made once."""
    runs: dict[str, RunSpec] = {}
    for experiment in EXPERIMENTS:
        for spec in experiment.runs(scale):
            known = runs.get(spec.key)
            if known is not None and known.config != spec.config:
                raise InfoplaneError(  # a bug in an experiment, not a user error
                    f"two experiments name run {spec.key!r} with different configs"
                )
            runs.setdefault(spec.key, spec)
    return Plan(tuple(runs.values()))


SECONDS_PER_SEED_EPOCH = 1.1e-4
"""Rough training cost of one network for one epoch of the preset (2-core laptop)."""

SECONDS_PER_POINT = {"binning": 1e-4, "adaptive": 5e-3, "kde": 0.13, "noisy": 0.28, "knn": 2.8}
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
