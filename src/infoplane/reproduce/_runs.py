"""A run of the reproduction, and the main run that several experiments share."""

from __future__ import annotations

from dataclasses import dataclass

from infoplane.config import RunConfig
from infoplane.reproduce._scale import Scale

MAIN_SIZE = 0.85
"""The training-set fraction of the paper's experiments (the preset's)."""


@dataclass(frozen=True)
class RunSpec:
    """One run of the reproduction: ``runs/<key>`` of the output directory.

    Experiments that share a run name the same ``key`` with the same ``config``.
    """

    key: str
    experiment: str
    label: str
    config: RunConfig


def base_config(scale: Scale) -> RunConfig:
    """The preset at ``scale``: every run of the reproduction changes one thing of it."""
    return RunConfig(seeds=scale.seeds, epochs=scale.epochs, log_epochs=scale.log_epochs)


def size_key(fraction: float) -> str:
    return f"size-{round(100 * fraction):02d}"


def size_spec(scale: Scale, fraction: float) -> RunSpec:
    """The tanh network trained on ``fraction`` of the inputs."""
    return RunSpec(
        size_key(fraction),
        "sizes",
        f"tanh, {round(100 * fraction)}% training set",
        base_config(scale).replace(train_fraction=fraction),
    )


MAIN = size_key(MAIN_SIZE)
"""The main run's key: claims 1 and 2, the depth-5 network and the ReLU critique's tanh."""


def main_spec(scale: Scale) -> RunSpec:
    return size_spec(scale, MAIN_SIZE)
