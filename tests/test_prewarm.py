"""The child that compiles a first run's estimation kernels while its training kernel
compiles (infoplane._prewarm): it makes the run's estimation, and failing is harmless."""

import time
from pathlib import Path

import pytest

from infoplane import _prewarm
from infoplane.config import RunConfig


def _config(tmp_path: Path, **changes) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(RunConfig(epochs=2, seeds=3, log_epochs=2, **changes).to_toml())
    return path


def test_the_child_makes_the_runs_estimation(tmp_path, monkeypatch):
    seen = []
    real = _prewarm.compile_estimation

    def spy(config):
        seen.append(config)
        real(config)

    monkeypatch.setattr(_prewarm, "compile_estimation", spy)
    assert _prewarm.main([str(_config(tmp_path, activation="relu"))]) == 0
    (config,) = seen
    assert config.activation == "relu" and config.seeds == 3  # as in the file


def test_a_child_that_fails_says_so_by_its_status_only(tmp_path, capsys):
    assert _prewarm.main([str(tmp_path / "missing.toml")]) == 1
    assert capsys.readouterr() == ("", "")
    warm = _prewarm.Prewarm(tmp_path / "missing.toml")
    warm.start()
    warm.wait(timeout=120)
    assert warm.process is not None and warm.process.returncode == 1


def test_a_disabled_prewarm_starts_nothing(tmp_path):
    warm = _prewarm.Prewarm(_config(tmp_path), enabled=False)
    warm.start()
    warm.wait()
    assert warm.process is None


def test_a_child_still_running_is_stopped(tmp_path, monkeypatch):
    warm = _prewarm.Prewarm(_config(tmp_path))
    monkeypatch.setattr(_prewarm, "_command", lambda path: ["sleep", "60"])
    started = time.perf_counter()
    warm.start()
    warm.wait(timeout=0.5)
    assert warm.process.returncode is not None  # killed
    assert time.perf_counter() - started < 30


@pytest.mark.parametrize("seeds", [1, 50])
def test_the_child_estimates_few_seeds(tmp_path, monkeypatch, seeds):
    from infoplane import estimation

    counted = []
    monkeypatch.setattr(estimation, "estimate_in_memory",
                        lambda recorder: counted.append(len(recorder.setup.seeds)))
    _prewarm.compile_estimation(RunConfig(epochs=2, seeds=seeds, log_epochs=2))
    assert counted == [min(seeds, _prewarm.SEEDS)]
