"""Plan: every experiment's runs, as one list of run directories to make."""

from __future__ import annotations

from dataclasses import dataclass

from infoplane.errors import InfoplaneError
from infoplane.reproduce._experiments import EXPERIMENTS
from infoplane.reproduce._runs import RunSpec
from infoplane.reproduce._scale import Scale
from infoplane.sweep._cost import run_seconds


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


def estimated_seconds(spec: RunSpec, *, plots: bool) -> float:
    """A rough guess of a run's duration (:mod:`infoplane.sweep._cost`), to weigh the
    overall progress bar."""
    return run_seconds(spec.config, plots=plots)
