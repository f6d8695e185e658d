"""A first run's kernels compiled in child processes while the run prepares (issue 15).

On a cold numba cache a run must compile its training kernel (about 9 s, one core)
before it trains and its estimation kernels (activations on all inputs, the
loss/accuracy pass, the binning counter) before it estimates. Its own first seconds
go to importing pandas and numba and building the data set and the run directory,
on one core. :func:`for_run` therefore checks the cache before that work
(:func:`infoplane.nets._kernel.training_compiled`, a few milliseconds) and, when the
training kernel is missing, starts two children of ``python -m infoplane._prewarm``:

- ``training``, at normal priority: compiles the training kernel for the run's
  activation (a tiny ensemble trained for no epoch), while the run imports;
- ``estimation``, at low priority: makes the run's estimation on two seeds at their
  initial weights and no training, on the core the others leave idle.

Their kernels land in numba's disk cache (written atomically, as numba does), where
the run finds them: it waits for the training child before it trains and for the
estimation child before it estimates. Nothing of the run depends on them: if a child
fails or is still compiling after :data:`WAIT_SECONDS`, the run compiles what it needs
itself. The command line (``infoplane run``) starts the children as soon as it has
the config, before it imports the run's modules (:func:`start_early`).

    python -m infoplane._prewarm training|estimation < CONFIG.toml   # a child
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
from collections.abc import Callable

from infoplane.config import RunConfig

WAIT_SECONDS = 120.0
"""How long a run waits for a child still compiling, before it compiles by itself."""

SEEDS = 2
"""Seeds of the estimation child: the compiled types do not depend on the count."""
PROBE = 256
"""Probe-set size of the estimation child: the cost of the slow estimators (knn, noisy,
kde) grows with it (on the whole data set the child estimated for minutes instead of
compiling), their compiled types do not, as long as kde and noisy get the float32
kernels of a real run (``estimators._pairwise.FLOAT32_MIN_ROWS`` rows or more; at 128
they compiled the float64 ones, and the run compiled its own for 13 s)."""

PHASES = ("training", "estimation")
NICE = {"training": 0, "estimation": 10}
"""The children's priority: the training kernel is on the run's critical path; the
estimation kernels are wanted only after training, so they take what is left."""


class Prewarm:
    """The compiling children of one run of ``config`` (none unless started)."""

    def __init__(self, config: RunConfig, *, enabled: bool = True) -> None:
        self.config = config
        self.enabled = enabled and config.device == "cpu"
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, *phases: str) -> None:
        """Start the children of ``phases`` (default: both) not yet started. A child
        that cannot start is no error: the run compiles by itself."""
        for phase in phases or PHASES:
            if not self.enabled or phase in self.processes:
                continue
            try:
                child = subprocess.Popen(
                    _command(phase), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                assert child.stdin is not None
                child.stdin.write(self.config.to_toml().encode())
                child.stdin.close()
            except OSError:
                continue
            self.processes[phase] = child

    def start_estimation(self) -> None:
        """Start the estimation child (a run compiling its training kernel itself)."""
        self.start("estimation")

    def running(self, phase: str) -> bool:
        """Whether the child of ``phase`` was started and has not finished."""
        child = self.processes.get(phase)
        return child is not None and child.poll() is None

    def wait(self, phase: str = "estimation", timeout: float = WAIT_SECONDS) -> None:
        """Let the child of ``phase``, if started, finish (at most ``timeout`` seconds,
        then stop it)."""
        child = self.processes.get(phase)
        if child is None:
            return
        try:
            child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop(phase)

    def stop(self, *phases: str) -> None:
        """Stop the children of ``phases`` (default: all) still running (the run stops
        or failed)."""
        for phase, child in self.processes.items():
            if (not phases or phase in phases) and child.poll() is None:
                child.kill()
                child.wait()


_early: Prewarm | None = None


def start_early(config: RunConfig) -> None:
    """Check the cache and start the children for ``config`` now, before this process
    imports the run's modules; the :func:`run <infoplane.run.run>` of the same config
    then takes them (:func:`for_run`)."""
    global _early
    if _early is not None:
        _early.stop()
    else:
        atexit.register(_stop_early)  # a process that ends before its run takes them
    _early = for_run(config)


def _stop_early() -> None:
    if _early is not None:
        _early.stop()


def for_run(config: RunConfig) -> Prewarm:
    """The compiling children of a run of ``config``: those :func:`start_early` started
    for it, else children started now if its training kernel is not in the cache."""
    global _early
    taken, _early = _early, None
    if taken is not None and taken.config == config:
        return taken
    if taken is not None:
        taken.stop()
    prewarm = Prewarm(config)
    if prewarm.enabled and not _training_compiled(config):
        prewarm.start()
    return prewarm


def _training_compiled(config: RunConfig) -> bool:
    from infoplane.nets import _kernel

    return _kernel.training_compiled(_activation_code(config))


def _activation_code(config: RunConfig) -> int:
    from infoplane.nets.activations import activation_code

    return activation_code(config.activation)


def _command(phase: str) -> list[str]:
    return [sys.executable, "-m", "infoplane._prewarm", phase]


def compile_training(config: RunConfig) -> None:
    """Compile the training kernel of ``config``'s activation (as its run would)."""
    from infoplane.nets import _kernel

    _kernel.compile_training(_activation_code(config))


def compile_estimation(config: RunConfig) -> None:
    """Make ``config``'s estimation on :data:`SEEDS` seeds at their initial weights and
    a probe set of at most :data:`PROBE` samples, as a run does after training (so numba
    compiles and caches the same kernels)."""
    from infoplane import estimation
    from infoplane.nets.ensemble import make_setup
    from infoplane.recorder import Recorder
    from infoplane.run import run_dataset

    config = config.replace(seeds=min(config.seeds, SEEDS),
                            probe_size=min(config.probe_size, PROBE))
    data = run_dataset(config)
    setup = make_setup(config, data, None)
    recorder = Recorder(setup, config, data)
    for epoch in (0, 1):
        recorder.snapshot(epoch, setup.params)
    estimation.estimate_in_memory(recorder)


COMPILERS: dict[str, Callable[[RunConfig], None]] = {
    "training": compile_training, "estimation": compile_estimation,
}


def main(argv: list[str], config_toml: str | None = None) -> int:
    """A child: ``argv`` is [phase], the config's TOML on stdin (or ``config_toml``);
    exit 0, or 1 on any error (the run then compiles by itself)."""
    try:
        phase = argv[0]
        if NICE[phase]:
            try:
                os.nice(NICE[phase])
            except (AttributeError, OSError):
                pass
        text = sys.stdin.read() if config_toml is None else config_toml
        COMPILERS[phase](RunConfig.from_toml_text(text))
    except Exception:  # noqa: BLE001 -- the run compiles by itself then
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
