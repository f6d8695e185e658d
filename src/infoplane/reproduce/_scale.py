"""How big the reproduction is: seeds, epochs and logged epochs of its runs."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from infoplane.errors import check


@dataclass(frozen=True)
class Scale:
    """The size of every run of the reproduction.

    Attributes
    ----------
    seeds, epochs, log_epochs : int
        Seeds (networks trained at once), training epochs and about how many
        log-spaced epochs to measure the information at, for every binning run.
    critique_seeds, critique_log_epochs : int
        The same for the run of the tanh network under the ``kde`` and ``noisy``
        estimators, which cost about 0.12 s together per information point (a seed,
        layer and logged epoch) averaged over the paper network's layers on 2 idle
        cores, against ~2 ms for binning. At full scale the critique measures the same
        50 seeds as the binning runs at 6 log-spaced epochs (7 logged: 0, 1, 6, 40, 251,
        1585, 10000): 50 x 7 x 6 = 2100 points, 4.3 min measured, in a whole report of
        22.6 min on 2 idle cores.
    noisy_samples : int or None
        ``n_samples`` (Monte Carlo draws) of the ``noisy`` estimator; None keeps the
        estimator's default (4 per input).
    snapshot_epoch : int
        The middle epoch of the paper's Figure 2 (about 400).
    gif_frames : int
        Frames of ``information_plane.gif`` at most.
    run_plots : bool
        Draw each run's own figures into its directory too.
    """

    seeds: int = 50
    epochs: int = 10000
    log_epochs: int = 250
    critique_seeds: int = 50
    critique_log_epochs: int = 6
    noisy_samples: int | None = None
    snapshot_epoch: int = 400
    gif_frames: int = 120
    run_plots: bool = True

    def __post_init__(self) -> None:
        for name in ("seeds", "epochs", "critique_seeds", "snapshot_epoch", "gif_frames"):
            value = getattr(self, name)
            check(
                isinstance(value, int) and value >= 1,
                f"--{name.replace('_', '-')} must be an integer >= 1, got {value!r}",
            )
        for name in ("log_epochs", "critique_log_epochs"):
            value = getattr(self, name)
            check(
                isinstance(value, int) and value >= 2,
                f"--{name.replace('_', '-')} must be an integer >= 2, got {value!r}",
            )
        check(
            self.noisy_samples is None or self.noisy_samples >= 2,
            f"noisy_samples must be >= 2 or None, got {self.noisy_samples!r}",
        )

    def override(
        self,
        *,
        seeds: int | None = None,
        epochs: int | None = None,
        log_epochs: int | None = None,
        critique_seeds: int | None = None,
        critique_log_epochs: int | None = None,
    ) -> Scale:
        """A copy with the given sizes; the critique run never exceeds the main runs."""
        changes = {
            k: v
            for k, v in {
                "seeds": seeds,
                "epochs": epochs,
                "log_epochs": log_epochs,
                "critique_seeds": critique_seeds,
                "critique_log_epochs": critique_log_epochs,
            }.items()
            if v is not None
        }
        new = dataclasses.replace(self, **changes)
        return dataclasses.replace(
            new,
            critique_seeds=min(new.critique_seeds, new.seeds),
            critique_log_epochs=min(new.critique_log_epochs, new.log_epochs),
        )


FULL = Scale()
"""The paper's scale: 50 seeds, 10000 epochs, ~250 logged epochs; the kde/noisy critique
on the same 50 seeds at 7 logged epochs (22.6 min measured on 2 idle cores)."""

QUICK = Scale(
    seeds=5,
    epochs=2000,
    log_epochs=40,
    critique_seeds=1,
    critique_log_epochs=6,
    noisy_samples=1024,
    gif_frames=40,
    run_plots=False,
)
"""A first look in about a minute or two on two CPU cores."""
