"""The progress bar says that numba is compiling, and only while it compiles; the garbage
collector is paused meanwhile."""

import gc

import numpy as np
from numba import njit
from numba.core import event

from infoplane._compiling import COMPILING, compiling_notice


class _Bar:
    """Records the descriptions a tqdm bar is given."""

    def __init__(self) -> None:
        self.desc = "training: "
        self.shown: list[str] = []

    def set_description(self, desc: str) -> None:
        self.desc = desc + ": "
        self.shown.append(desc)


def test_a_compilation_shows_the_notice_then_restores_the_description():
    @njit(cache=False)
    def fresh(x):  # a new function: compiled on its first call, never cached
        return x * 2.0

    bar = _Bar()
    with compiling_notice(bar) as notice:
        assert fresh(np.float64(1.5)) == 3.0
    assert notice.compiled
    assert bar.shown == [COMPILING, "training"]
    assert COMPILING == "compiling (first run only)"


def test_nothing_compiled_nothing_shown():
    @njit(cache=False)
    def once(x):
        return x + 1

    once(1)  # compiled before the block
    bar = _Bar()
    with compiling_notice(bar) as notice:
        assert once(2) == 3
    assert not notice.compiled
    assert bar.shown == []


def test_a_disabled_bar_is_left_alone():
    from tqdm.auto import tqdm

    @njit(cache=False)
    def other(x):
        return x - 1

    with tqdm(total=3, disable=True) as bar, compiling_notice(bar) as notice:
        assert other(3) == 2
    assert notice.compiled


class _Probe(event.Listener):
    """Records whether the garbage collector is on at each compiler pass."""

    def __init__(self) -> None:
        self.collecting: list[bool] = []

    def on_start(self, event: event.Event) -> None:
        self.collecting.append(gc.isenabled())

    def on_end(self, event: event.Event) -> None:
        pass


def test_the_collector_is_paused_while_compiling_and_restored_after():
    @njit(cache=False)
    def compiled_here(x):
        return x * 3.0

    probe = _Probe()
    assert gc.isenabled()
    with compiling_notice(_Bar()), event.install_listener("numba:run_pass", probe):
        assert compiled_here(2.0) == 6.0
        assert gc.isenabled()  # back on between compilations
    assert probe.collecting and not any(probe.collecting)
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_caller_stays_off():
    @njit(cache=False)
    def compiled_too(x):
        return x - 3.0

    gc.disable()
    try:
        with compiling_notice(_Bar()):
            assert compiled_too(5.0) == 2.0
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_on_first_is_called_once_at_the_first_compilation_only():
    @njit(cache=False)
    def first(x):
        return x * 3.0

    @njit(cache=False)
    def second(x):
        return x * 4.0

    calls: list[int] = []
    with compiling_notice(_Bar(), on_first=lambda: calls.append(1)):
        first(np.float64(1.0))
        second(np.float64(1.0))
    assert calls == [1]
    calls.clear()
    with compiling_notice(_Bar(), on_first=lambda: calls.append(1)):
        first(np.float64(2.0))  # compiled already: a warm cache starts nothing
    assert calls == []
