"""A first run's estimation kernels compiled in a second process (issue 15).

On a cold numba cache, ``infoplane run`` first compiles its training kernel, a single
thread's work that leaves the other cores idle, and compiles the estimation kernels
(activations on all inputs, the loss/accuracy pass, the binning counter) only after
training, on the critical path. :class:`Prewarm` starts, at the run's first
compilation, a child process at low priority that makes the same estimation on two
seeds of the same configuration with their initial weights and no training: the
kernels it compiles land in numba's disk cache, so the run finds them there when its
estimation starts. The child only writes the cache (atomically, as numba does);
nothing of the run depends on it, and if it fails or is still compiling after
:data:`WAIT_SECONDS`, the run compiles what it needs itself, as before.

    python -m infoplane._prewarm CONFIG.toml     # what the child runs
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from infoplane.config import RunConfig

WAIT_SECONDS = 120.0
"""How long a run waits, before its estimation, for a child still compiling."""

SEEDS = 2
"""Seeds of the child's estimation: the compiled types do not depend on the count."""


class Prewarm:
    """At most one child process compiling the estimation kernels of ``config_path``."""

    def __init__(self, config_path: Path, *, enabled: bool = True) -> None:
        self.config_path = config_path
        self.enabled = enabled
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the child (once; does nothing when disabled or already started).
        A child that cannot start is no error: the run compiles by itself."""
        if not self.enabled or self.process is not None:
            return
        try:
            self.process = subprocess.Popen(
                _command(self.config_path), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except OSError:
            self.enabled = False

    def wait(self, timeout: float = WAIT_SECONDS) -> None:
        """Let a started child finish (at most ``timeout`` seconds, then stop it)."""
        if self.process is None:
            return
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()

    def stop(self) -> None:
        """Stop a child still running (an interrupted run)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _command(config_path: Path) -> list[str]:
    return [sys.executable, "-m", "infoplane._prewarm", str(config_path)]


def compile_estimation(config: RunConfig) -> None:
    """Make ``config``'s estimation on :data:`SEEDS` seeds at their initial weights,
    as a run does after training (so numba compiles and caches the same kernels)."""
    from infoplane import estimation
    from infoplane.nets.ensemble import make_setup
    from infoplane.recorder import Recorder
    from infoplane.run import run_dataset

    config = config.replace(seeds=min(config.seeds, SEEDS))
    data = run_dataset(config)
    setup = make_setup(config, data, None)
    recorder = Recorder(setup, config, data)
    for epoch in (0, 1):
        recorder.snapshot(epoch, setup.params)
    estimation.estimate_in_memory(recorder)


def main(argv: list[str]) -> int:
    """The child: ``argv`` is [config path]; low priority; exit 0, or 1 on any error."""
    try:
        os.nice(10)  # the run's own work goes first
    except (AttributeError, OSError):
        pass
    try:
        compile_estimation(RunConfig.from_toml(argv[0]))
    except Exception:  # noqa: BLE001 -- the run compiles by itself then
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
