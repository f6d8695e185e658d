"""The children that compile a first run's kernels while the run prepares
(infoplane._prewarm): started only on a cold cache, each compiles what the run will
need, the run waits for them, and a child that fails or hangs is harmless."""

import sys
import time

import pytest

from infoplane import _prewarm
from infoplane.config import RunConfig

TINY = RunConfig(epochs=2, seeds=3, log_epochs=2, probe_size=64)


def _fake_children(monkeypatch, *code: str) -> None:
    """Children that run ``code`` (Python) instead of compiling."""
    monkeypatch.setattr(_prewarm, "_command",
                        lambda phase: [sys.executable, "-c", ";".join(code)])


@pytest.mark.parametrize("phase", ["training", "estimation"])
def test_a_child_compiles_its_phase_of_the_config_it_is_given(monkeypatch, phase):
    seen = []
    monkeypatch.setitem(_prewarm.COMPILERS, phase, seen.append)
    config = TINY.replace(activation="relu", widths=(5, 3))
    assert _prewarm.main([phase], config_toml=config.to_toml()) == 0
    assert seen == [config]


def test_the_training_child_compiles_the_runs_activation(monkeypatch):
    from infoplane.nets import _kernel

    codes = []
    monkeypatch.setattr(_kernel, "compile_training", codes.append)
    _prewarm.compile_training(TINY.replace(activation="softsign"))
    assert codes == [_kernel.SOFTSIGN]


@pytest.mark.parametrize("argv, text", [
    (["estimation"], "this is = not [toml"),
    (["nonsense"], TINY.to_toml()),
    ([], TINY.to_toml()),
])
def test_a_child_that_fails_says_so_by_its_status_only(capsys, argv, text):
    assert _prewarm.main(argv, config_toml=text) == 1
    assert capsys.readouterr() == ("", "")


def test_a_failing_child_process_is_harmless(monkeypatch):
    _fake_children(monkeypatch, "import sys", "sys.stdin.read()", "sys.exit(1)")
    warm = _prewarm.Prewarm(TINY)
    warm.start()
    warm.wait("training", timeout=60)
    warm.wait("estimation", timeout=60)
    assert sorted(warm.processes) == ["estimation", "training"]
    assert all(child.returncode == 1 for child in warm.processes.values())


def test_the_children_read_the_config_from_stdin(tmp_path, monkeypatch):
    out = tmp_path / "seen.toml"
    _fake_children(monkeypatch, "import sys", f"open({str(out)!r}, 'w').write(sys.stdin.read())")
    warm = _prewarm.Prewarm(TINY.replace(activation="elu"))
    warm.start("training")
    warm.wait("training", timeout=60)
    assert RunConfig.from_toml(out) == TINY.replace(activation="elu")


@pytest.mark.parametrize("config, enabled", [(TINY, False), (TINY.replace(device="cuda"), True)])
def test_a_disabled_prewarm_starts_nothing(config, enabled):
    warm = _prewarm.Prewarm(config, enabled=enabled)
    warm.start()
    warm.wait("training")
    warm.wait("estimation")
    assert warm.processes == {}


def test_a_child_still_running_is_stopped(monkeypatch):
    monkeypatch.setattr(_prewarm, "_command", lambda phase: ["sleep", "60"])
    warm = _prewarm.Prewarm(TINY)
    started = time.perf_counter()
    warm.start()
    warm.wait("estimation", timeout=0.5)
    assert warm.processes["estimation"].returncode is not None  # killed
    assert warm.running("training")
    warm.stop()
    assert not warm.running("training")
    assert time.perf_counter() - started < 30


@pytest.mark.parametrize("cached", [True, False])
def test_children_start_only_on_a_cold_cache(monkeypatch, cached):
    monkeypatch.setattr(_prewarm, "_training_compiled", lambda config: cached)
    _fake_children(monkeypatch, "import sys", "sys.stdin.read()")
    warm = _prewarm.for_run(TINY)
    warm.wait("training")
    warm.wait("estimation")
    assert sorted(warm.processes) == ([] if cached else ["estimation", "training"])


def test_a_run_takes_the_children_started_early_for_its_config(monkeypatch):
    monkeypatch.setattr(_prewarm, "_training_compiled", lambda config: False)
    monkeypatch.setattr(_prewarm, "_command", lambda phase: ["sleep", "60"])
    _prewarm.start_early(TINY)
    early = _prewarm._early
    assert _prewarm.for_run(TINY) is early  # the same children
    assert _prewarm._early is None
    _prewarm.start_early(TINY)
    other = _prewarm._early
    fresh = _prewarm.for_run(TINY.replace(seeds=4))  # another config: new children
    assert fresh is not other and not other.running("training")
    for warm in (early, fresh):
        warm.stop()


def test_the_training_kernel_is_checked_in_the_cache(monkeypatch):
    from infoplane.nets import _kernel

    asked = []
    monkeypatch.setattr(_kernel, "training_compiled", lambda code: asked.append(code) or True)
    assert _prewarm._training_compiled(TINY.replace(activation="elu"))
    assert asked == [_kernel.ELU]


@pytest.mark.parametrize("seeds", [1, 50])
def test_the_estimation_child_estimates_few_seeds(monkeypatch, seeds):
    from infoplane import estimation

    counted = []
    monkeypatch.setattr(estimation, "estimate_in_memory",
                        lambda recorder: counted.append(len(recorder.setup.seeds)))
    _prewarm.compile_estimation(RunConfig(epochs=2, seeds=seeds, log_epochs=2))
    assert counted == [min(seeds, _prewarm.SEEDS)]


def test_the_estimation_child_estimates_a_small_probe_set(monkeypatch):
    """The slow estimators' cost grows with the probe set, their compiled types do not:
    on the whole data set the child estimated for minutes instead of compiling."""
    from infoplane import estimation

    sizes = []
    monkeypatch.setattr(estimation, "estimate_in_memory",
                        lambda recorder: sizes.append(recorder.data.n_samples))
    _prewarm.compile_estimation(RunConfig(epochs=2, seeds=2, log_epochs=2,
                                          estimators=("knn", "noisy")))
    assert sizes == [_prewarm.PROBE]


def test_the_probe_sets_of_compiling_runs_get_the_float32_kde_and_noisy_kernels():
    from infoplane.estimators._pairwise import FLOAT32_MIN_ROWS
    from infoplane.sweep._dispatch import WARM_UP_PROBE

    assert _prewarm.PROBE >= FLOAT32_MIN_ROWS
    assert WARM_UP_PROBE >= FLOAT32_MIN_ROWS


def test_stop_stops_the_phases_asked_for(monkeypatch):
    monkeypatch.setattr(_prewarm, "_command", lambda phase: ["sleep", "60"])
    warm = _prewarm.Prewarm(TINY)
    warm.start()
    warm.stop("training")
    assert not warm.running("training") and warm.running("estimation")
    warm.stop()
    assert not warm.running("estimation")
